package main

import "fmt"

// plural counts n things: "1 socket", "2 sockets".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
