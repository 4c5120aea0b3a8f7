package metrics

import (
	"strings"
	"testing"
)

// With --vantage every per-server series carries it; without, none has a
// vantage label (existing rules match as before). Both name the shard.
func TestVantageLabel(t *testing.T) {
	up := serve(t, mcpHandler("up")).URL + "/mcp"
	for _, vantage := range []string{"", "eu-west"} {
		pool := newPool(srv("alpha", up))
		m := NewInstance(pool, Instance{Shard: "2/3", Vantage: vantage})
		sweep(t, pool)
		fams := families(t, scrape(t, m.Handler()))
		for name, f := range fams {
			if !strings.HasPrefix(name, "mcpwatch_") {
				continue
			}
			for _, s := range f.GetMetric() {
				got, has := "", false
				for _, lp := range s.GetLabel() {
					if lp.GetName() == "vantage" {
						got, has = lp.GetValue(), true
					}
				}
				want := vantage != "" && name != "mcpwatch_build_info"
				if has != want || got != vantage && want {
					t.Errorf("vantage %q: %s%v has vantage=%q (label present %v)", vantage, name, s.GetLabel(), got, has)
				}
			}
		}
		info := one(t, fams, "mcpwatch_instance_info", map[string]string{"shard": "2/3"})
		if value(info) != 1 {
			t.Errorf("instance_info = %v", value(info))
		}
		one(t, fams, "mcpwatch_server_up", map[string]string{"server": "alpha"})
	}
}

func TestCheckVantage(t *testing.T) {
	for _, ok := range []string{"", "eu-west", "us_east.1", "a"} {
		if err := CheckVantage(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"-x", "eu west", "x\x1b[31m", strings.Repeat("a", 41), "ü"} {
		if err := CheckVantage(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
