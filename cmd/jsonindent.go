package cmd

// appendIndent appends src, compact JSON as encoding/json writes it, to dst
// indented exactly as json.Indent(dst, src, prefix, indent) would. The
// report's encoder indented with json's own, which runs its validating
// scanner byte by byte: at 1,000 servers most of the report's CPU. The
// input here is the encoder's own output, already valid, so a string is
// copied whole and only the punctuation between them is looked at.
// TestAppendIndentAsJSONIndent holds it to json.Indent.
func appendIndent(dst, src []byte, prefix, indent string) []byte {
	depth := 0
	needIndent := false // after '{' or '[': an empty one stays "{}" or "[]"
	newline := func() {
		dst = append(dst, '\n')
		dst = append(dst, prefix...)
		for range depth {
			dst = append(dst, indent...)
		}
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case ' ', '\t', '\r', '\n':
			if depth > 0 || needIndent {
				continue // json.Indent drops space between tokens
			}
			dst = append(dst, c) // and keeps it after the value
			continue
		}
		if needIndent && c != '}' && c != ']' {
			needIndent = false
			depth++
			newline()
		}
		switch c {
		case '"':
			j := i + 1
			for j < len(src) && src[j] != '"' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(src))
			dst = append(dst, src[i:j]...)
			i = j - 1
		case '{', '[':
			needIndent = true
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			newline()
		case ':':
			dst = append(dst, c, ' ')
		case '}', ']':
			if needIndent {
				needIndent = false
			} else {
				depth--
				newline()
			}
			dst = append(dst, c)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
