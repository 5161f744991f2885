package scripts

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestModuleNamesAreCheckedAsTheREADMESays reads the README's rule for
// module names and checks every example it gives, named or refused,
// against CheckModuleName, so that the two cannot drift apart.
func TestModuleNamesAreCheckedAsTheREADMESays(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var rule string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "- Module names are ") {
			rule = line
		}
	}
	named, refused, ok := strings.Cut(rule, " are names; ")
	if !ok {
		t.Fatalf("README has no module-name rule of the form \"... are names; ... are refused\": %q", rule)
	}
	refused, _, _ = strings.Cut(refused, " are refused")
	examples := regexp.MustCompile("`([^`]*)`")
	names := examples.FindAllStringSubmatch(named[strings.LastIndex(named, ":"):], -1)
	bad := examples.FindAllStringSubmatch(refused, -1)
	if len(names) < 3 || len(bad) < 3 {
		t.Fatalf("too few examples in %q", rule)
	}
	for _, m := range names {
		if err := CheckModuleName(m[1]); err != nil {
			t.Errorf("README calls %q a module name, but: %v", m[1], err)
		}
	}
	for _, m := range bad {
		if CheckModuleName(m[1]) == nil {
			t.Errorf("README says %q is refused, but CheckModuleName accepts it", m[1])
		}
	}
	if CheckModuleName(strings.Repeat("a", MaxNameBytes+1)) == nil || !strings.Contains(rule, "2,048 bytes") || MaxNameBytes != 2048 {
		t.Errorf("the length limit in the README (%q) is not CheckModuleName's (%d)", rule, MaxNameBytes)
	}
}
