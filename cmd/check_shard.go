package cmd

import (
	"fmt"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/shard"
)

// cutShard keeps the servers of --shard K/N, and says so first on a table
// (JSON says it in its source). Without --shard it returns cfg.
func (c *checkCmd) cutShard(e *env, cfg *config.File) (*config.File, error) {
	if c.Shard == "" {
		return cfg, nil
	}
	if c.URL != "" {
		return nil, usageErr(e, "--shard splits a config file; an ad-hoc URL is one server")
	}
	sh, err := shard.Parse(c.Shard)
	if err != nil {
		return nil, usageErr(e, err.Error())
	}
	for _, n := range c.Server {
		if !sh.Owns(n) {
			return nil, usageErr(e, fmt.Sprintf("--server %s is checked by shard %d/%d, not %s: drop --shard, or use --shard %d/%d",
				n, shard.Owner(n, sh.N), sh.N, sh, shard.Owner(n, sh.N), sh.N))
		}
	}
	out := sh.Filter(cfg)
	if c.Output != "json" {
		fmt.Fprintf(e.stdout, "shard %s: %d of the %d servers in %s\n", sh, len(out.Servers), len(cfg.Servers), cfg.Path)
	}
	return out, nil
}
