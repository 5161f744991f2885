// Package testdata holds the example projects and scripts that tests and
// the README use. It has no Go code of its own.
package testdata
