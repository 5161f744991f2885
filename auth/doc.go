// Package auth verifies the credential of a request and answers an
// identity or a refusal: API keys (KeyStore), JSON Web Tokens (JWT) and the
// schemes an endpoint's --#SECURITY line names. It knows no sockets, no
// Lua and no HTTP routing: endpoints gives it a Request and acts on the
// answer, and a script check, which needs Lua, is run by the runtime.
//
// # Secrets
//
// An API key's secret is "lg_" and 32 random bytes in base64url. It is
// shown once, when the key is created; a KeyStore keeps only its SHA-256,
// and a presented secret is found by its hash and then compared with the
// stored one in constant time.
//
// # Imports
//
// auth imports nothing of luagate; storage implements KeyStore and
// TokenStore.
package auth
