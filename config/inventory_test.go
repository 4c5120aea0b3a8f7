package config

import (
	"strings"
	"testing"
)

// TestInventorySetting: inventory is on unless a server says false.
func TestInventorySetting(t *testing.T) {
	f, _ := mustParse(t, "c.yaml", "servers:\n  - {name: a, url: https://a}\n  - {name: b, url: https://b, inventory: false}\n  - {name: c, url: https://c, inventory: true}\n")
	if f.Servers[0].NoInventory || !f.Servers[1].NoInventory || f.Servers[2].NoInventory {
		t.Fatalf("NoInventory %v %v %v", f.Servers[0].NoInventory, f.Servers[1].NoInventory, f.Servers[2].NoInventory)
	}
	_, _, err := Parse("c.yaml", []byte("servers:\n  - {name: a, url: https://a, inventory: sometimes}\n"))
	if err == nil || !strings.Contains(err.Error(), "c.yaml:2:42: servers[0].inventory") {
		t.Fatalf("error %v", err)
	}
}
