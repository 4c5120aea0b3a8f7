package config

import (
	"strings"
	"testing"
)

func TestMaxMessageSize(t *testing.T) {
	f, _ := mustParse(t, "c.yaml", "defaults: {max_message_size: 512KiB}\nservers:\n  - {name: a, url: https://a}\n  - {name: b, url: https://b, max_message_size: 1MB}\n")
	if f.Servers[0].MaxMessageSize != 512<<10 || f.Servers[1].MaxMessageSize != 1000*1000 {
		t.Fatalf("sizes %d %d", f.Servers[0].MaxMessageSize, f.Servers[1].MaxMessageSize)
	}
	for src, want := range map[string]string{
		"servers:\n  - {name: a, url: https://a, max_message_size: 1GiB}\n":              `c.yaml:2:49: servers[0].max_message_size: invalid size "1GiB"`,
		"servers:\n  - {name: a, url: https://a, max_message_size: 100}\n":               `c.yaml:2:49: servers[0].max_message_size: must be from 4KiB to 64MiB, got "100"`,
		"defaults: {max_message_size: 65MiB}\nservers:\n  - {name: a, url: https://a}\n": `c.yaml:1:30: defaults.max_message_size: must be from 4KiB to 64MiB`,
	} {
		_, _, err := Parse("c.yaml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", src, err, want)
		}
	}
}
