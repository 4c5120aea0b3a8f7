//go:build !unix

package boundedfile

// Elsewhere only the checks before and after opening protect the read.
const openFlags = 0
