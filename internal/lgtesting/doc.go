// Package lgtesting holds the helpers luagate's tests share: a locked log
// buffer, polling for a condition, a real WebSocket client, an HTTP request
// helper, and a real gateway on 127.0.0.1 with a temporary data dir that
// stops when its test ends. Only tests import it.
package lgtesting
