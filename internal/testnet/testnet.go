// Package testnet gives tests that start another program (node, prometheus)
// a loopback port to hand it. Such a port cannot be reserved: the test
// checks it is free, and the program binds it later. A port from the kernel
// (":0") is in Linux's ephemeral range, where an outgoing connection of a
// test running beside this one may take it in between ("address already in
// use"); ports below that range are only ever taken by an explicit bind.
package testnet

import (
	"math/rand/v2"
	"net"
	"strconv"
	"testing"
)

// FreeLowPort is a loopback port from 20000 to 31999 that nothing listens on.
func FreeLowPort(t testing.TB) int {
	t.Helper()
	for range 200 {
		port := 20000 + rand.IntN(12000) // Linux hands out 32768 and up
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			_ = l.Close()
			return port
		}
	}
	t.Fatal("no free loopback port from 20000 to 31999")
	return 0
}

// FreeLowAddr is FreeLowPort as host:port.
func FreeLowAddr(t testing.TB) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(FreeLowPort(t)))
}
