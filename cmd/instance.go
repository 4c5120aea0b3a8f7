package cmd

import (
	"github.com/mcpwatch/mcpwatch/metrics"
	"github.com/mcpwatch/mcpwatch/shard"
)

// instanceFlags place one serve instance in a distributed fleet
// (docs/scale.md): which share of the config it checks, and from where.
type instanceFlags struct {
	Shard   string `placeholder:"K/N" help:"Check only shard K of N: every instance reads the same config and checks the servers whose name hashes to it (e.g. --shard 1/3)."`
	Vantage string `placeholder:"NAME" help:"Where this instance checks from (e.g. eu-west): a vantage label on everything it exports, so the same server checked from two places gives two series."`
}

// parse validates the flags: a usage error that says how to fix it.
func (f instanceFlags) parse() (shard.Shard, error) {
	if err := metrics.CheckVantage(f.Vantage); err != nil {
		return shard.Shard{}, err
	}
	if f.Shard == "" {
		return shard.Shard{}, nil
	}
	return shard.Parse(f.Shard)
}
