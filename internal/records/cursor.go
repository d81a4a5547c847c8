package records

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
)

// ErrBadCursor refuses a public lookup's page cursor that was not given by
// a lookup of the same query: malformed, altered, or from another query.
var ErrBadCursor = errors.New("records: not a cursor of this lookup")

// cursorVersion is the first byte of a cursor; a change of its layout
// changes it, and cursors of the old layout are refused.
const cursorVersion = 1

// cursorSumLen is the length of a cursor's check sum.
const cursorSumLen = 8

// lookupCursor is where the next page of a public lookup starts: after the
// record After (records come newest first, by ID), Seen records having
// been served before it.
type lookupCursor struct {
	After int64
	Seen  int
}

// encode makes the cursor opaque: version, After and Seen as varints, and
// a check sum over them and the query. The sum is not a secret: forging a
// cursor gains nothing a visitor could not ask for (the same public
// records of the same query), it only makes an altered cursor, or one of
// another query, refused rather than served as some other page.
func (c lookupCursor) encode(q string) string {
	b := []byte{cursorVersion}
	b = binary.AppendUvarint(b, uint64(c.After))
	b = binary.AppendUvarint(b, uint64(c.Seen))
	return base64.RawURLEncoding.EncodeToString(append(b, cursorSum(q, b)...))
}

// decodeCursor reads a cursor given by encode for the same query q.
func decodeCursor(q, s string) (lookupCursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 1+2+cursorSumLen || b[0] != cursorVersion {
		return lookupCursor{}, ErrBadCursor
	}
	body, sum := b[:len(b)-cursorSumLen], b[len(b)-cursorSumLen:]
	if subtle.ConstantTimeCompare(sum, cursorSum(q, body)) != 1 {
		return lookupCursor{}, ErrBadCursor
	}
	after, n := binary.Uvarint(body[1:])
	if n <= 0 {
		return lookupCursor{}, ErrBadCursor
	}
	seen, m := binary.Uvarint(body[1+n:])
	if m <= 0 || 1+n+m != len(body) || after == 0 || after > 1<<62 || seen == 0 || seen > 1<<31 {
		return lookupCursor{}, ErrBadCursor
	}
	return lookupCursor{After: int64(after), Seen: int(seen)}, nil
}

func cursorSum(q string, body []byte) []byte {
	h := sha256.New()
	h.Write([]byte("creditcase public lookup cursor\x00"))
	h.Write([]byte(q))
	h.Write([]byte{0})
	h.Write(body)
	return h.Sum(nil)[:cursorSumLen]
}
