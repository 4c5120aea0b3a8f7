package config

import (
	"strings"
	"unicode/utf8"
)

// suggest returns the valid key the operator most likely meant by word, or
// "". Case is ignored so clientId and ClientID still find client_id: YAML
// keys are case-sensitive, but a human typing them is not.
func suggest(word string, valid []string) string {
	w := strings.ToLower(word)
	// Very long keys are not typos of ours; skipping them also keeps the
	// quadratic distance cheap on hostile input.
	if utf8.RuneCountInString(w) > 64 {
		return ""
	}
	best, bestDist := "", 3 // accept distance <= 2
	for _, v := range valid {
		if d := editDistance(w, v); d < bestDist {
			best, bestDist = v, d
		}
	}
	if bestDist < 2 {
		return best
	}
	// A prefix either way catches truncations (client) and additions
	// (client_secret_path), which are often farther than 2 edits; it also
	// beats a 2-edit match (tim is timeout, not tls).
	if utf8.RuneCountInString(w) >= 3 {
		for _, v := range valid {
			if strings.HasPrefix(v, w) || strings.HasPrefix(w, v) {
				return v
			}
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
