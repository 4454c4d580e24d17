package bpf

import (
	"errors"
	"net/netip"
	"os"
	"testing"
	"unsafe"
)

func TestEndpointKeys(t *testing.T) {
	ek, ak, err := Endpoint{netip.MustParseAddr("::ffff:198.18.0.1"), 0x1234}.keys()
	if err != nil {
		t.Fatal(err)
	}
	// Mapped addresses are IPv4; the port is kept in wire order.
	port := (*[2]byte)(unsafe.Pointer(&ek.Port))
	if ek.Family != familyIPv4 || ek.Addr != [16]byte{198, 18, 0, 1} || *port != [2]byte{0x12, 0x34} {
		t.Errorf("key %+v", ek)
	}
	if ak.Family != ek.Family || ak.Addr != ek.Addr {
		t.Errorf("addr key %+v", ak)
	}
	ek, _, err = Endpoint{netip.IPv6Unspecified(), 9}.keys()
	if err != nil || ek.Family != familyIPv6 || ek.Addr != [16]byte{} {
		t.Errorf("wildcard key %+v, %v", ek, err)
	}
	for _, e := range []Endpoint{{}, {netip.MustParseAddr("198.18.0.1"), 0}} {
		if _, _, err := e.keys(); !errors.Is(err, ErrInvalidEndpoint) {
			t.Errorf("%v: %v", e, err)
		}
	}
}

func TestNames(t *testing.T) {
	if Steered.String() != "steered" || NoSocket.String() != "no_socket" || Reason(99).String() != "Reason(99)" {
		t.Error("reason names")
	}
	if ModeNative.String() != "native" || Mode(9).String() != "Mode(9)" {
		t.Error("mode names")
	}
}

func TestInNetNS(t *testing.T) {
	ran := false
	if err := InNetNS("", func() error { ran = true; return nil }); err != nil || !ran {
		t.Fatalf("InNetNS(\"\"): %v, ran %v", err, ran)
	}
	want := errors.New("inner")
	if err := InNetNS("", func() error { return want }); err != want {
		t.Fatalf("error not passed through: %v", err)
	}
	err := InNetNS("/nonexistent/netns", func() error { t.Error("ran outside the namespace"); return nil })
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("bad namespace: %v", err)
	}
}

func TestLocalAddrUnicastOnly(t *testing.T) {
	for _, a := range []string{"0.0.0.0", "::", "224.0.0.5", "ff02::1", "255.255.255.255"} {
		if _, err := localKey(netip.MustParseAddr(a)); !errors.Is(err, ErrInvalidEndpoint) {
			t.Errorf("%s accepted as a local address: %v", a, err)
		}
	}
	k, err := localKey(netip.MustParseAddr("::ffff:198.18.0.1"))
	if err != nil || k.Family != familyIPv4 || k.Addr[0] != 198 {
		t.Errorf("IPv4-mapped address: %+v, %v", k, err)
	}
}
