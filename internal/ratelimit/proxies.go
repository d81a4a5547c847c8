package ratelimit

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the reverse proxies trusted to say who their client is
// (TRUSTED_PROXIES: CIDRs or addresses). Without any, the client is the
// peer of the connection and X-Forwarded-For is ignored, since any client
// can write it.
type Proxies struct {
	nets []netip.Prefix
}

// ParseProxies reads a comma- or space-separated list of CIDRs and
// addresses ("10.0.0.0/8, 192.0.2.7").
func ParseProxies(s string) (Proxies, error) {
	var p Proxies
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if pre, err := netip.ParsePrefix(f); err == nil {
			p.nets = append(p.nets, pre.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return Proxies{}, fmt.Errorf("TRUSTED_PROXIES: %q is neither a CIDR (10.0.0.0/8) nor an address", f)
		}
		a = a.Unmap()
		p.nets = append(p.nets, netip.PrefixFrom(a, a.BitLen()))
	}
	return p, nil
}

// String lists the trusted networks.
func (p Proxies) String() string {
	var s []string
	for _, n := range p.nets {
		s = append(s, n.String())
	}
	return strings.Join(s, ",")
}

// Trusted reports whether addr is a trusted proxy.
func (p Proxies) Trusted(addr string) bool {
	a, err := netip.ParseAddr(strings.TrimSpace(addr))
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, n := range p.nets {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// ClientAddr is the address of the client that sent r. When the peer is a
// trusted proxy, X-Forwarded-For is read from the right: each trusted
// proxy's entry is skipped, and the first address that is not a trusted
// proxy is the client (entries to its left were written by the client and
// are not believed). A malformed entry ends the walk at the last address
// known good.
func (p Proxies) ClientAddr(r *http.Request) string {
	peer, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		peer = r.RemoteAddr
	}
	if pa, err := netip.ParseAddr(peer); err == nil {
		peer = pa.Unmap().String()
	}
	if len(p.nets) == 0 || !p.Trusted(peer) {
		return peer
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		h := strings.TrimSpace(hops[i])
		a, err := netip.ParseAddr(h)
		if err != nil {
			return client
		}
		client = a.Unmap().String()
		if !p.Trusted(client) {
			return client
		}
	}
	return client
}
