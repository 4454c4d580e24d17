package assoc

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash"
	"net/netip"
	"time"
)

// The State Cookie (RFC 9260 5.1.3): a versioned, fixed-layout body sealed
// with HMAC-SHA256. It holds everything needed to build the association from
// a COOKIE ECHO and nothing that points into our memory.
//
//	0  version(1) keyID(1) nAddrs(1) flags(1)
//	4  created ns (8)   12 lifetime ms (4)
//	16 local port, peer port (2+2)
//	20 local tag, peer tag, local tie-tag, peer tie-tag (4 each)
//	36 local initial TSN (4), local OS, local MIS (2+2)
//	44 peer initial TSN (4), peer a_rwnd (4), peer OS, peer MIS (2+2)
//	56 peer adaptation code (4)  60 v4 bitmap (2) pad (2)
//	64 INIT source (16), INIT destination (16), peer addresses (16 each)
//	.. HMAC-SHA256 (32)
const (
	cookieVersion  = 1
	maxCookieAddrs = 8
	cookieAddrsOff = 96
	cookieBodyLen  = cookieAddrsOff + 16*maxCookieAddrs
	cookieMACLen   = sha256.Size
	cookieLen      = cookieBodyLen + cookieMACLen

	cookieFlagAdapt = 1 << 0 // peer sent an Adaptation Layer Indication
	cookieFlagECN   = 1 << 1
	cookieFlagFwd   = 1 << 2 // peer supports FORWARD-TSN
)

// Cookie check failures (RFC 9260 5.1.5).
var (
	ErrCookieLength  = errors.New("assoc: state cookie has the wrong length or version")
	ErrCookieMAC     = errors.New("assoc: state cookie MAC mismatch or unknown key")
	ErrCookieStale   = errors.New("assoc: state cookie is stale")
	ErrCookiePorts   = errors.New("assoc: state cookie ports do not match the packet")
	ErrCookieTag     = errors.New("assoc: COOKIE ECHO verification tag differs from the cookie's tag")
	ErrCookieAddress = errors.New("assoc: state cookie addresses are invalid")
	ErrCookieStreams = errors.New("assoc: state cookie has no streams")
)

// cookieData is a decoded State Cookie.
type cookieData struct {
	created                 int64
	lifeMs                  uint32
	localPort, peerPort     uint16
	localTag, peerTag       uint32
	localTieTag, peerTieTag uint32
	localTSN                uint32
	localOS, localMIS       uint16
	peerTSN, peerARwnd      uint32
	peerOS, peerMIS         uint16
	flags                   uint8
	peerAdapt               uint32
	src, dst                netip.Addr
	nAddrs                  int
	addrs                   [maxCookieAddrs]netip.Addr
}

// CookieKey is a State Cookie secret (RFC 9260 5.1.3) and its generation:
// the key id every cookie sealed with it carries.
type CookieKey struct {
	Gen uint8
	Key []byte
}

// CookieKeys is the secret in force and the one it replaced, as told to
// every holder of an endpoint's keys (the slow path's responder and each
// poller's engine, design.md 3). A cookie sealed by one holder may come back
// to another (a restart or a collision, RFC 9260 5.2.4), so holders name
// keys by the generations given here, never by how many rotations they saw:
// a holder created after N rotations agrees with one that saw them all.
type CookieKeys struct {
	Cur CookieKey
	// Prev is the key Cur replaced (empty Key: none). RFC 9260 5.1.3 lets
	// the cookie's timestamp pick the key: Prev still opens its cookies for
	// one cookie span (the holder's Valid.Cookie.Life plus its
	// MaxCookiePreservative) after the rotation, which happened Age ago
	// (negative counts as 0).
	Prev CookieKey
	Age  time.Duration
}

// Rotate returns the keys after a rotation to key: key is the next
// generation, the current key becomes the previous one, and Age is 0.
func (k CookieKeys) Rotate(key []byte) CookieKeys {
	return CookieKeys{Cur: CookieKey{Gen: k.Cur.Gen + 1, Key: key}, Prev: k.Cur}
}

// ErrKeyGen is returned for keys whose previous and current generations
// are equal: a cookie's key id would not say which key sealed it.
var ErrKeyGen = errors.New("assoc: previous and current cookie keys share a generation")

// cookieKeys seals and opens cookies: the current key seals, the current
// or (until prevUntil) the previous key opens, chosen by the cookie's key id.
type cookieKeys struct {
	curGen, prevGen uint8
	cur, prev       hash.Hash // prev nil: none
	prevUntil       int64     // ns; the previous key is refused from then on
	sum             [cookieMACLen]byte
}

func newHMAC(key []byte) hash.Hash { return hmac.New(sha256.New, key) }

// set installs ks at now; span is how long the previous key opens cookies
// after the rotation.
func (k *cookieKeys) set(ks *CookieKeys, now, span int64) error {
	if len(ks.Cur.Key) == 0 {
		return ErrNoKey
	}
	if len(ks.Prev.Key) != 0 && ks.Prev.Gen == ks.Cur.Gen {
		return ErrKeyGen
	}
	k.curGen, k.cur = ks.Cur.Gen, newHMAC(ks.Cur.Key)
	k.prev = nil
	if until := now - int64(max(ks.Age, 0)) + span; len(ks.Prev.Key) != 0 && until > now {
		k.prevGen, k.prev, k.prevUntil = ks.Prev.Gen, newHMAC(ks.Prev.Key), until
	}
	return nil
}

func (k *cookieKeys) mac(h hash.Hash, body []byte) []byte {
	h.Reset()
	h.Write(body)
	return h.Sum(k.sum[:0])
}

func putAddr(b []byte, a netip.Addr) bool {
	v := a.As16()
	copy(b, v[:])
	return a.Is4() || a.Is4In6()
}

func getAddr(b []byte, v4 bool) netip.Addr {
	a := netip.AddrFrom16([16]byte(b[:16]))
	if v4 {
		return a.Unmap()
	}
	return a
}

// seal appends the sealed cookie to b.
func (k *cookieKeys) seal(b []byte, c *cookieData) []byte {
	o := len(b)
	b = append(b, make([]byte, cookieLen)...) // no allocation when b has room
	p := b[o:]
	n := min(c.nAddrs, maxCookieAddrs)
	p[0], p[1], p[2], p[3] = cookieVersion, k.curGen, uint8(n), c.flags
	be := binary.BigEndian
	be.PutUint64(p[4:], uint64(c.created))
	be.PutUint32(p[12:], c.lifeMs)
	be.PutUint16(p[16:], c.localPort)
	be.PutUint16(p[18:], c.peerPort)
	be.PutUint32(p[20:], c.localTag)
	be.PutUint32(p[24:], c.peerTag)
	be.PutUint32(p[28:], c.localTieTag)
	be.PutUint32(p[32:], c.peerTieTag)
	be.PutUint32(p[36:], c.localTSN)
	be.PutUint16(p[40:], c.localOS)
	be.PutUint16(p[42:], c.localMIS)
	be.PutUint32(p[44:], c.peerTSN)
	be.PutUint32(p[48:], c.peerARwnd)
	be.PutUint16(p[52:], c.peerOS)
	be.PutUint16(p[54:], c.peerMIS)
	be.PutUint32(p[56:], c.peerAdapt)
	var v4 uint16
	if putAddr(p[64:], c.src) {
		v4 |= 1 << 8
	}
	if putAddr(p[80:], c.dst) {
		v4 |= 1 << 9
	}
	for i := 0; i < n; i++ {
		if putAddr(p[cookieAddrsOff+16*i:], c.addrs[i]) {
			v4 |= 1 << i
		}
	}
	be.PutUint16(p[60:], v4)
	copy(p[cookieBodyLen:], k.mac(k.cur, p[:cookieBodyLen]))
	return b
}

// open checks the cookie's version, length and MAC (RFC 9260 5.1.5 steps
// 1-2) and decodes it into c. It does not check the lifetime: callers do
// (stale cookies with matching tags are valid in 5.2.4).
func (k *cookieKeys) open(p []byte, now int64, c *cookieData) error {
	if len(p) != cookieLen || p[0] != cookieVersion {
		return ErrCookieLength
	}
	var h hash.Hash
	switch {
	case k.cur != nil && p[1] == k.curGen:
		h = k.cur
	case k.prev != nil && p[1] == k.prevGen && now < k.prevUntil:
		h = k.prev
	default:
		return ErrCookieMAC
	}
	if !hmac.Equal(k.mac(h, p[:cookieBodyLen]), p[cookieBodyLen:]) {
		return ErrCookieMAC
	}
	be := binary.BigEndian
	*c = cookieData{
		created:     int64(be.Uint64(p[4:])),
		lifeMs:      be.Uint32(p[12:]),
		localPort:   be.Uint16(p[16:]),
		peerPort:    be.Uint16(p[18:]),
		localTag:    be.Uint32(p[20:]),
		peerTag:     be.Uint32(p[24:]),
		localTieTag: be.Uint32(p[28:]),
		peerTieTag:  be.Uint32(p[32:]),
		localTSN:    be.Uint32(p[36:]),
		localOS:     be.Uint16(p[40:]),
		localMIS:    be.Uint16(p[42:]),
		peerTSN:     be.Uint32(p[44:]),
		peerARwnd:   be.Uint32(p[48:]),
		peerOS:      be.Uint16(p[52:]),
		peerMIS:     be.Uint16(p[54:]),
		peerAdapt:   be.Uint32(p[56:]),
		flags:       p[3],
		nAddrs:      int(p[2]),
	}
	if c.nAddrs > maxCookieAddrs {
		return ErrCookieAddress
	}
	// Defence in depth: we never seal zero streams (an INIT or INIT ACK
	// with zero OS or MIS is refused, RFC 9260 3.3.2), so a cookie saying
	// so was not sealed by our code, whatever its MAC.
	if c.localOS == 0 || c.localMIS == 0 || c.peerOS == 0 || c.peerMIS == 0 {
		return ErrCookieStreams
	}
	v4 := be.Uint16(p[60:])
	c.src = getAddr(p[64:], v4&(1<<8) != 0)
	c.dst = getAddr(p[80:], v4&(1<<9) != 0)
	for i := 0; i < c.nAddrs; i++ {
		c.addrs[i] = getAddr(p[cookieAddrsOff+16*i:], v4&(1<<i) != 0)
	}
	return nil
}

// staleness is how far past its lifetime the cookie is at now, in
// microseconds (RFC 9260 3.3.10.3), or 0 if it is still valid.
func (c *cookieData) staleness(now int64) uint32 {
	exp := c.created + int64(c.lifeMs)*1e6
	if now <= exp {
		return 0
	}
	us := (now - exp + 999) / 1000
	if us > 0xFFFFFFFF {
		us = 0xFFFFFFFF
	}
	return uint32(us)
}
