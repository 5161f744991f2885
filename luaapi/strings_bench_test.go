package luaapi

import "testing"

// Benchmarks of the string functions luagate implements itself, on the
// inputs a chat script typically gives them.

func BenchmarkStringMatch(b *testing.B) {
	runBench(b, `local k, v = string.match("user=ann; room=lobby", "room=(%w+)")`)
}

func BenchmarkStringFind(b *testing.B) {
	runBench(b, `local i = string.find("hello there, how is everyone?", "%s+how")`)
}

func BenchmarkStringGsub(b *testing.B) {
	runBench(b, `local s = string.gsub("  hello   there,  how is  everyone?  ", "%s+", " ")`)
}

func BenchmarkStringGmatch(b *testing.B) {
	runBench(b, `for w in string.gmatch("one two three four", "%a+") do end`)
}

func BenchmarkStringFormat(b *testing.B) {
	runBench(b, `local s = string.format("%s said %d times: %.2f%%", "ann", 3, 1.5)`)
}

func BenchmarkTableConcat(b *testing.B) {
	runBench(b, `local s = table.concat({"a", "b", "c", "d", 1, 2}, ", ")`)
}
