package metrics

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/luagate/luagate/push"
	"github.com/luagate/luagate/runtime"
)

// TestTheDashboardQueriesOnlyFamiliesWeExport keeps the Grafana dashboard
// in step with the collector: a renamed family would leave a panel empty.
func TestTheDashboardQueriesOnlyFamiliesWeExport(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../deploy/grafana/luagate.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	exported := map[string]bool{}
	descs := make(chan *prometheus.Desc, 32)
	newCollector(func() runtime.Counters { return runtime.Counters{} }, &Deploys{},
		func() (push.Counts, error) { return push.Counts{}, nil }).Describe(descs)
	close(descs)
	fqName := regexp.MustCompile(`fqName: "([a-z_]+)"`)
	for d := range descs {
		exported[fqName.FindStringSubmatch(d.String())[1]] = true
	}
	used := regexp.MustCompile(`luagate_[a-z_]+`)
	queried := map[string]bool{}
	for _, p := range dash.Panels {
		for _, target := range p.Targets {
			for _, name := range used.FindAllString(target.Expr, -1) {
				family := strings.TrimSuffix(name, "_bucket")
				if !exported[family] {
					t.Errorf("panel %q queries %s, which luagate does not export", p.Title, name)
				}
				queried[family] = true
			}
		}
	}
	for name := range exported {
		if !queried[name] {
			t.Errorf("no panel shows %s", name)
		}
	}
}
