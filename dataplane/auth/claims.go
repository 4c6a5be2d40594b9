package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// decodeObject decodes a JSON object whose numbers become int64 when they are
// integers that fit, float64 otherwise (see the package documentation).
func decodeObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	if out == nil {
		return nil, errors.New("the document is not a JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("the document has data after its JSON object")
	}
	for k, v := range out {
		out[k] = normalizeNumbers(v)
	}
	return out, nil
}

func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return i
			}
		}
		f, _ := strconv.ParseFloat(s, 64) // out of range yields ±Inf, still a number
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeNumbers(e)
		}
	}
	return v
}

// parseClaims reads a JWT claims set (RFC 7519 section 4.1): the registered
// claims are typed as the RFC says, or the token is malformed.
func parseClaims(payload []byte) (*verifiedToken, error) {
	claims, err := decodeObject(payload)
	if err != nil {
		return nil, err
	}
	t := &verifiedToken{claims: claims}
	if v, present := claims["iss"]; present {
		s, isString := v.(string)
		if !isString {
			return nil, errors.New(`"iss" is not a string`)
		}
		t.issuer = s
	}
	switch aud := claims["aud"].(type) {
	case nil:
	case string:
		t.audience = []string{aud}
	case []any:
		for _, a := range aud {
			s, isString := a.(string)
			if !isString {
				return nil, errors.New(`"aud" holds something that is not a string`)
			}
			t.audience = append(t.audience, s)
		}
	default:
		return nil, errors.New(`"aud" is neither a string nor an array of strings`)
	}
	for _, date := range []struct {
		name string
		dst  *time.Time
	}{{"exp", &t.exp}, {"nbf", &t.nbf}, {"iat", &t.iat}} {
		v, present := claims[date.name]
		if !present {
			continue
		}
		if *date.dst, err = numericDate(v); err != nil {
			return nil, fmt.Errorf("%q: %w", date.name, err)
		}
	}
	return t, nil
}

// maxNumericDate keeps seconds far from the limits of time.Time (about 31
// million years either way), so that a hostile date cannot overflow.
const maxNumericDate = 1e15

// numericDate converts a NumericDate (seconds since the epoch, possibly
// fractional) to a time.
func numericDate(v any) (time.Time, error) {
	switch x := v.(type) {
	case int64:
		return time.Unix(max(min(x, maxNumericDate), -maxNumericDate), 0), nil
	case float64:
		if math.IsNaN(x) {
			return time.Time{}, errors.New("not a number")
		}
		x = math.Max(math.Min(x, maxNumericDate), -maxNumericDate)
		sec, frac := math.Modf(x)
		return time.Unix(int64(sec), int64(frac*1e9)), nil
	}
	return time.Time{}, errors.New("not a NumericDate")
}
