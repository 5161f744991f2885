package endpoints

import (
	"fmt"
	"testing"

	"github.com/luagate/luagate/scripts"
)

// BenchmarkDeployNew deploys a solution of 1,000 endpoints whose scripts
// all differ from the running revision's, so each is compiled: the cost
// of a first deploy (issue 18's goal: 50 ms).
func BenchmarkDeployNew(b *testing.B) {
	sol := benchSolution(1000)
	s := benchServer(b, scripts.Solution{})
	i := 0
	for b.Loop() {
		i++
		for j := range sol.Endpoints {
			sol.Endpoints[j].Script = fmt.Sprintf("-- %d\nif websocketInfo.type == \"data\" then return websocketInfo.message end", i)
		}
		if err := s.Deploy(sol); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeployChangeOne changes the script of one endpoint of a running
// 1,000-endpoint solution per deploy (issue 18's goal: 5 ms).
func BenchmarkDeployChangeOne(b *testing.B) {
	sol := benchSolution(1000)
	s := benchServer(b, sol)
	one := *sol.Endpoints[500]
	i := 0
	for b.Loop() {
		i++
		one.Script = fmt.Sprintf("return %d", i)
		if _, err := s.change(func(sol *scripts.Solution) error {
			sol.PutEndpoints(one)
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
}
