package probe

import "strings"

const redacted = "[redacted]"

// scrubResult removes every secret value from the text fields of res. Errors
// from libraries may echo request data; this is the last line of defence.
func scrubResult(res *Result, secrets []string) {
	res.Message = scrub(res.Message, secrets)
	res.Detail = scrub(res.Detail, secrets)
	if res.Token != nil {
		res.Token.LastError = scrub(res.Token.LastError, secrets)
	}
}

func scrub(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	return s
}
