package wire

// HMAC identifiers (RFC 4895 3.3).
const (
	HMACSHA1   uint16 = 1
	HMACSHA256 uint16 = 3
)

// AuthChunk is a view of an AUTH chunk (RFC 4895 4.1).
type AuthChunk []byte

// SharedKeyID is the Shared Key Identifier.
func (c AuthChunk) SharedKeyID() uint16 { return be16(c[4:]) }

// HMACID is the HMAC Identifier.
func (c AuthChunk) HMACID() uint16 { return be16(c[6:]) }

// HMAC is the HMAC field.
func (c AuthChunk) HMAC() []byte { return c[8:] }

func (c AuthChunk) validate() error {
	if len(c) < 8 {
		return errAuthShort
	}
	return nil
}
