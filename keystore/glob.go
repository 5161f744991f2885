package keystore

// globMatch reports whether s matches the Redis glob pattern p: * any run
// of bytes, ? one byte, [abc], [^abc] and [a-z] a class, \ quotes the next
// byte. It backtracks only to the last *, so it runs in time linear in
// len(p) times len(s) at worst.
func globMatch(p, s string) bool {
	var pi, si int
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch p[pi] {
			case '*':
				starP, starS = pi, si
				pi++
				continue
			case '?':
				pi++
				si++
				continue
			case '[':
				if n, ok := matchClass(p[pi:], s[si]); n > 0 {
					if ok {
						pi += n
						si++
						continue
					}
				} else if s[si] == '[' {
					pi++
					si++
					continue
				}
			case '\\':
				if pi+1 < len(p) && p[pi+1] == s[si] {
					pi += 2
					si++
					continue
				}
			default:
				if p[pi] == s[si] {
					pi++
					si++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		pi, si = starP+1, starS
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// matchClass matches c against the class at the start of p ("[...]") and
// returns the class's length, or 0 when p has no closing bracket.
func matchClass(p string, c byte) (int, bool) {
	i, neg, ok := 1, false, false
	if i < len(p) && p[i] == '^' {
		neg = true
		i++
	}
	for first := true; i < len(p); first = false {
		if p[i] == ']' && !first {
			return i + 1, ok != neg
		}
		lo := p[i]
		if lo == '\\' && i+1 < len(p) {
			i++
			lo = p[i]
		}
		hi := lo
		if i+2 < len(p) && p[i+1] == '-' && p[i+2] != ']' {
			hi = p[i+2]
			i += 2
			if lo > hi {
				lo, hi = hi, lo
			}
		}
		if lo <= c && c <= hi {
			ok = true
		}
		i++
	}
	return 0, false
}
