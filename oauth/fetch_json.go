package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// maxBody bounds every discovery response we read: metadata documents are a few KiB, and a
// server under test must not be able to make the checker allocate without limit.
const maxBody = 1 << 20

// readLimited reads at most maxBody bytes; tooLarge reports that more were available.
func readLimited(r io.Reader) (body []byte, tooLarge bool, err error) {
	body, err = io.ReadAll(io.LimitReader(r, maxBody+1))
	if len(body) > maxBody {
		return body[:maxBody], true, err
	}
	return body, false, err
}

// getJSON fetches a metadata document into v. Only a 200 with a JSON body of at most maxBody
// counts; everything else is an *Error of class discovery.*.
func (d *discovery) getJSON(ctx context.Context, rawURL string, v any) *Error {
	shown := oneLine(rawURL, 200) // the URL may come from the server: sanitized in messages
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return &Error{Class: "discovery.bad_metadata", Msg: "cannot request " + shown, Err: err}
	}
	d.addHeaders(req)
	req.Header.Set("Accept", "application/json")
	resp, err := d.hc.Do(req)
	if err != nil {
		return d.requestError(ctx, shown, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _, _ = readLimited(resp.Body) // drain so the connection can be reused
		return &Error{Class: "discovery.no_metadata", Status: resp.StatusCode,
			Msg: fmt.Sprintf("%s answered HTTP %d", shown, resp.StatusCode)}
	}
	body, tooLarge, err := readLimited(resp.Body)
	switch {
	case err != nil:
		return d.requestError(ctx, shown, err)
	case tooLarge:
		return &Error{Class: "discovery.bad_metadata", Status: resp.StatusCode, Msg: shown + " is larger than 1 MiB"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return &Error{Class: "discovery.bad_metadata", Status: resp.StatusCode, Msg: shown + " is not a JSON object", Err: err}
	}
	return nil
}

// requestError classifies a failed discovery request.
func (d *discovery) requestError(ctx context.Context, what string, err error) *Error {
	if ctx.Err() != nil {
		return ctxError("discovery", what, context.Cause(ctx))
	}
	if e := transportError("discovery", what, err); e != nil {
		return e
	}
	return &Error{Class: "discovery.unreachable", Msg: what + ": " + oneLine(innermost(err).Error(), 160), Err: err}
}
