package server

import (
	"net/netip"
	"testing"
)

// TestInternalAddr: the destinations an issuer fetch refuses without the opt-in.
func TestInternalAddr(t *testing.T) {
	for _, c := range []struct {
		ip       string
		internal bool
	}{
		{"127.0.0.1", true},
		{"127.9.9.9", true},
		{"::1", true},
		{"::ffff:127.0.0.1", true}, // IPv4-mapped loopback
		{"10.1.2.3", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"192.168.1.1", true},
		{"fc00::1", true},
		{"fd12:3456::1", true},
		{"169.254.169.254", true}, // cloud metadata
		{"::ffff:169.254.169.254", true},
		{"fe80::1", true},
		{"0.0.0.0", true},
		{"::", true},
		{"224.0.0.1", true},
		{"ff02::1", true},
		{"100.64.0.1", true},         // carrier-grade NAT
		{"64:ff9b::a9fe:a9fe", true}, // NAT64 of 169.254.169.254
		{"2002:a9fe:a9fe::1", true},  // 6to4 of 169.254.169.254
		{"255.255.255.255", true},    // broadcast
		{"8.8.8.8", false},
		{"140.82.112.3", false},         // github.com
		{"172.32.0.1", false},           // just past 172.16/12
		{"2606:4700:4700::1111", false}, // a public IPv6 resolver
		{"::ffff:8.8.8.8", false},
	} {
		if got := internalAddr(netip.MustParseAddr(c.ip)); got != c.internal {
			t.Errorf("internalAddr(%s) = %v, want %v", c.ip, got, c.internal)
		}
	}
	f := newFetcher(nil, false, nil)
	for addr, refused := range map[string]bool{"127.0.0.1:443": true, "[fe80::1%eth0]:443": true, "169.254.169.254:80": true, "8.8.8.8:443": false, "nonsense": true} {
		if err := f.checkDial("tcp", addr, nil); (err != nil) != refused {
			t.Errorf("checkDial(%s) = %v, want refused %v", addr, err, refused)
		}
	}
	if err := newFetcher(nil, true, nil).checkDial("tcp", "127.0.0.1:443", nil); err != nil {
		t.Errorf("with the opt-in, loopback refused: %v", err)
	}
}
