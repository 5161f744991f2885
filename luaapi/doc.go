// Package luaapi is everything a Lua script in luagate can see: the
// sandboxed standard library, the websocketInfo table, the Websocket module,
// JSON, print and require.
//
// A VM wraps one lua.LState. The state's globals are a read-only base: the
// allowed libraries, each behind a read-only proxy, and luagate's modules.
// Every execution gets an environment table that holds nothing but _G and
// whose metatable reads through to that base, so a global a script sets
// lives only for that execution, and nothing a script can reach lets it
// change what the next execution on the same state sees. For speed a VM
// refills its environment, websocketInfo, headers, parameters and response
// tables rather than building them per event; a table an execution may
// have added keys to is replaced instead (reuse.go says how a VM knows,
// reuse_test.go checks it). What a
// pooled state carries from one execution to the next is therefore
// invisible to scripts: compiled functions of the base, the string
// metatable, those refilled tables, and buffers gopher-lua keeps.
// websocketInfo.policy is immutable to scripts (read-only proxies with a
// protected metatable) and is rebuilt when an execution wrote into it with
// rawset (policy.go; policy_test.go checks it).
//
// luaapi never imports runtime: it declares the small interfaces it needs
// (Sockets, Peer, Logger) and runtime implements them.
package luaapi
