package shard

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/config"
)

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("mcp-%05d.example", i)
	}
	return out
}

func TestParse(t *testing.T) {
	good := map[string]Shard{"1/1": {1, 1}, "2/3": {2, 3}, " 3/3 ": {3, 3}}
	for in, want := range good {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	bad := map[string]string{"3/2": "K must be from 1 to N", "0/2": "K must be from 1 to N", "1/0": "N must be",
		"x": "want K/N", "1/": "want K/N", "/2": "want K/N", "1/99999": "N must be", "-1/2": "K must be"}
	for in, want := range bad {
		_, err := Parse(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) error = %v; want it to say %q", in, err, want)
		}
	}
}

// Every server belongs to exactly one shard, and the split is even enough.
func TestEveryServerOnceAndBalanced(t *testing.T) {
	const n = 4
	all := names(10000)
	per := make([]int, n+1)
	for _, name := range all {
		owners := 0
		for k := 1; k <= n; k++ {
			if (Shard{K: k, N: n}).Owns(name) {
				owners++
				per[k]++
			}
		}
		if owners != 1 {
			t.Fatalf("%s has %d owners", name, owners)
		}
	}
	for k := 1; k <= n; k++ {
		if per[k] < 2250 || per[k] > 2750 { // 2500 ± 10%
			t.Errorf("shard %d/%d has %d of 10000 servers", k, n, per[k])
		}
	}
}

// Going from N to N+1 shards moves about 1/(N+1) of the servers, and every
// one that moves goes to the new shard.
func TestStability(t *testing.T) {
	all := names(20000)
	for n := 1; n <= 8; n++ {
		moved := 0
		for _, name := range all {
			before, after := Owner(name, n), Owner(name, n+1)
			if before != after {
				moved++
				if after != n+1 {
					t.Fatalf("%s moved from %d to %d going from %d to %d shards", name, before, after, n, n+1)
				}
			}
		}
		share, want := float64(moved)/float64(len(all)), 1/float64(n+1)
		if share < want*0.9 || share > want*1.1 {
			t.Errorf("%d→%d shards moved %.3f of the servers; want about %.3f", n, n+1, share, want)
		}
	}
}

func TestFilterKeepsFileIntact(t *testing.T) {
	f := &config.File{Path: "x.yaml", Concurrency: 7}
	for _, name := range names(100) {
		f.Servers = append(f.Servers, config.Server{Name: name})
	}
	total := 0
	for k := 1; k <= 3; k++ {
		g := Shard{K: k, N: 3}.Filter(f)
		if g.Path != fmt.Sprintf("x.yaml · shard %d/3", k) || g.Concurrency != 7 {
			t.Fatalf("filter lost the file's settings: %+v", g)
		}
		total += len(g.Servers)
	}
	if total != 100 || len(f.Servers) != 100 {
		t.Fatalf("shards hold %d servers, file %d; want 100 and 100", total, len(f.Servers))
	}
	if (Shard{}).Filter(f) != f {
		t.Fatal("no sharding must return the file itself")
	}
}
