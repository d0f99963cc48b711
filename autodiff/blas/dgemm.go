package blas

import (
	"sync"

	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Block sizes of the packed algorithm (Goto & van de Geijn, "Anatomy of
// High-Performance Matrix Multiplication", ACM TOMS 34(3), 2008, Fig. 8):
// a kc×nr panel of B stays in L1 while mr×kc panels of A stream from L2,
// the packed mc×kc block of A fits in L2 and the packed kc×nc block of B in
// L3.
const (
	mr = 6   // rows of the micro-kernel's C tile
	nr = 8   // columns of the micro-kernel's C tile (two 4-wide registers)
	kc = 256 // depth of one packed block
	mc = 96  // rows of one packed block of A (a multiple of mr)
	nc = 2048
)

// Dgemm hands products with fewer rows of C than the micro-kernel's tile
// (minRows), or with m·n·k below smallWork, to gonum: packing B and
// computing padded rows costs more than it saves there (measured, CPU
// GFLOP/s gonum vs packed: 4×64×64 6.8 vs 5.9, 3×64×64 7.5 vs 5.9,
// 8×8×8 1.5 vs 3.8).
const (
	minRows   = mr
	smallWork = 512
)

// Implementation is gonum's native BLAS with a faster Dgemm for small and
// medium float64 matrices. Every other routine is gonum's. The zero value
// is not usable: create one with New. An Implementation is safe for
// concurrent use by several goroutines.
type Implementation struct {
	gonum.Implementation
	ws *workspaces
}

// workspaces is a free list of packing buffers: one per concurrent Dgemm
// call at most, kept for the Implementation's lifetime (unlike a sync.Pool,
// whose buffers the garbage collector drops and Dgemm would reallocate in
// every training step that triggers a collection).
type workspaces struct {
	mu   sync.Mutex
	free []*workspace
}

func (w *workspaces) get() *workspace {
	w.mu.Lock()
	defer w.mu.Unlock()
	if n := len(w.free); n > 0 {
		ws := w.free[n-1]
		w.free = w.free[:n-1]
		return ws
	}
	return new(workspace)
}

func (w *workspaces) put(ws *workspace) {
	w.mu.Lock()
	w.free = append(w.free, ws)
	w.mu.Unlock()
}

// workspace holds the packed panels of one Dgemm call.
type workspace struct {
	a    []float64 // packed block of A: ⌈mc/mr⌉ panels of mr×kc
	b    []float64 // packed block of B: ⌈nc/nr⌉ panels of kc×nr
	tile [mr * nr]float64
}

// New returns an Implementation. It uses the AVX2/FMA micro-kernel where
// the CPU has both and gonum's Dgemm elsewhere.
func New() *Implementation {
	return &Implementation{ws: new(workspaces)}
}

// Accelerated reports whether Dgemm runs the assembly micro-kernel on this
// CPU (amd64 with AVX2 and FMA); otherwise it is gonum's Dgemm.
func Accelerated() bool { return haveKernel }

// Panic messages of gonum's BLAS, so that misuse reads the same whichever
// implementation is installed.
const (
	badTranspose = "blas: illegal transpose"
	mLT0         = "blas: m < 0"
	nLT0         = "blas: n < 0"
	kLT0         = "blas: k < 0"
	badLdA       = "blas: bad leading dimension of A"
	badLdB       = "blas: bad leading dimension of B"
	badLdC       = "blas: bad leading dimension of C"
	shortA       = "blas: insufficient length of a"
	shortB       = "blas: insufficient length of b"
	shortC       = "blas: insufficient length of c"
)

// Dgemm performs one of the matrix-matrix operations
//
//	C = alpha * A * B + beta * C
//	C = alpha * Aᵀ * B + beta * C
//	C = alpha * A * Bᵀ + beta * C
//	C = alpha * Aᵀ * Bᵀ + beta * C
//
// on row-major matrices, where A is m×k (k×m if transposed), B is k×n (n×k
// if transposed) and C is m×n, exactly as gonum's Dgemm: the same argument
// checks and panics, C untouched when alpha·A·B contributes nothing and
// beta is 1, and C never read when beta is 0 (NaN there does not
// propagate). The products are accumulated with fused multiply-adds in an
// order different from gonum's, so results differ from gonum's by rounding
// (bounded by about k·eps·|A||B| elementwise).
func (impl *Implementation) Dgemm(tA, tB gblas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if !haveKernel || m < minRows || m*n*k < smallWork {
		impl.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	impl.packed(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// packed is Dgemm by the packed micro-kernel algorithm, whatever the sizes.
// It needs haveKernel.
func (impl *Implementation) packed(tA, tB gblas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	aTrans := checkTrans(tA)
	bTrans := checkTrans(tB)
	if m < 0 {
		panic(mLT0)
	}
	if n < 0 {
		panic(nLT0)
	}
	if k < 0 {
		panic(kLT0)
	}
	if (aTrans && lda < max(1, m)) || (!aTrans && lda < max(1, k)) {
		panic(badLdA)
	}
	if (bTrans && ldb < max(1, k)) || (!bTrans && ldb < max(1, n)) {
		panic(badLdB)
	}
	if ldc < max(1, n) {
		panic(badLdC)
	}
	if m == 0 || n == 0 {
		return
	}
	if (aTrans && len(a) < (k-1)*lda+m) || (!aTrans && len(a) < (m-1)*lda+k) {
		panic(shortA)
	}
	if (bTrans && len(b) < (n-1)*ldb+k) || (!bTrans && len(b) < (k-1)*ldb+n) {
		panic(shortB)
	}
	if len(c) < (m-1)*ldc+n {
		panic(shortC)
	}
	if alpha == 0 || k == 0 {
		scale(m, n, beta, c, ldc)
		return
	}

	ws := impl.ws.get()
	defer impl.ws.put(ws)
	ncb := min(n, nc)
	kcb := min(k, kc)
	mcb := min(m, mc)
	ws.a = grow(ws.a, roundUp(mcb, mr)*kcb)
	ws.b = grow(ws.b, roundUp(ncb, nr)*kcb)

	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			bet := beta
			if pc > 0 {
				bet = 1
			}
			packB(ws.b, bTrans, b, ldb, pc, kb, jc, nb)
			for ic := 0; ic < m; ic += mc {
				mb := min(mc, m-ic)
				packA(ws.a, aTrans, a, lda, ic, mb, pc, kb, alpha)
				macroKernel(ws, mb, nb, kb, bet, c[ic*ldc+jc:], ldc)
			}
		}
	}
}

// macroKernel updates the mb×nb block C = packed A · packed B + beta·C
// tile by tile; C holds the block's top-left element first.
func macroKernel(ws *workspace, mb, nb, kb int, beta float64, c []float64, ldc int) {
	load := 0
	if beta != 0 {
		load = 1
	}
	for jr := 0; jr < nb; jr += nr {
		nt := min(nr, nb-jr)
		bp := &ws.b[jr*kb]
		for ir := 0; ir < mb; ir += mr {
			mt := min(mr, mb-ir)
			ap := &ws.a[ir*kb]
			if mt == mr && nt == nr {
				kernel6x8(kb, ap, bp, &c[ir*ldc+jr], ldc, beta, load)
				continue
			}
			// Edge tile: compute the full tile into ws.tile, then
			// update the part of C that exists.
			kernel6x8(kb, ap, bp, &ws.tile[0], nr, 0, 0)
			for i := range mt {
				row := c[(ir+i)*ldc+jr : (ir+i)*ldc+jr+nt]
				t := ws.tile[i*nr : i*nr+nt]
				if beta == 0 {
					copy(row, t)
					continue
				}
				for j, v := range t {
					row[j] = v + beta*row[j]
				}
			}
		}
	}
}

// packA copies alpha·A[ic:ic+mb, pc:pc+kb] into dst as ⌈mb/mr⌉ panels, each
// mr rows wide and stored column by column (mr consecutive values per k),
// padding the last panel's missing rows with zeros.
func packA(dst []float64, trans bool, a []float64, lda, ic, mb, pc, kb int, alpha float64) {
	for ir := 0; ir < mb; ir += mr {
		mt := min(mr, mb-ir)
		p := dst[ir*kb : ir*kb+mr*kb]
		switch {
		case trans:
			// A[i,p] = a[p*lda+i]: rows of a are contiguous in i.
			for q := range kb {
				src := a[(pc+q)*lda+ic+ir:]
				d := p[q*mr : q*mr+mr]
				if mt == mr {
					s := (*[mr]float64)(src)
					d := (*[mr]float64)(d)
					d[0], d[1], d[2], d[3], d[4], d[5] = alpha*s[0], alpha*s[1], alpha*s[2], alpha*s[3], alpha*s[4], alpha*s[5]
					continue
				}
				for i, v := range src[:mt] {
					d[i] = alpha * v
				}
				clear(d[mt:])
			}
		case mt == mr:
			// A[i,p] = a[i*lda+p]: read six rows side by side.
			row := func(i int) []float64 { return a[(ic+ir+i)*lda+pc:][:kb] }
			r0, r1, r2, r3, r4, r5 := row(0), row(1), row(2), row(3), row(4), row(5)
			for q := range kb {
				d := (*[mr]float64)(p[q*mr:])
				d[0], d[1], d[2], d[3], d[4], d[5] = alpha*r0[q], alpha*r1[q], alpha*r2[q], alpha*r3[q], alpha*r4[q], alpha*r5[q]
			}
		default:
			clear(p)
			for i := range mt {
				src := a[(ic+ir+i)*lda+pc:][:kb]
				for q, v := range src {
					p[q*mr+i] = alpha * v
				}
			}
		}
	}
}

// packB copies B[pc:pc+kb, jc:jc+nb] into dst as ⌈nb/nr⌉ panels, each nr
// columns wide and stored row by row (nr consecutive values per k),
// padding the last panel's missing columns with zeros.
func packB(dst []float64, trans bool, b []float64, ldb, pc, kb, jc, nb int) {
	for jr := 0; jr < nb; jr += nr {
		nt := min(nr, nb-jr)
		p := dst[jr*kb : jr*kb+nr*kb]
		switch {
		case !trans:
			// B[p,j] = b[p*ldb+j]: rows of b are contiguous in j.
			for q := range kb {
				src := b[(pc+q)*ldb+jc+jr:]
				if nt == nr {
					*(*[nr]float64)(p[q*nr:]) = *(*[nr]float64)(src)
					continue
				}
				d := p[q*nr : q*nr+nr]
				copy(d, src[:nt])
				clear(d[nt:])
			}
		case nt == nr:
			// B[p,j] = b[j*ldb+p]: read eight rows of b side by side.
			col := func(j int) []float64 { return b[(jc+jr+j)*ldb+pc:][:kb] }
			c0, c1, c2, c3, c4, c5, c6, c7 := col(0), col(1), col(2), col(3), col(4), col(5), col(6), col(7)
			for q := range kb {
				d := (*[nr]float64)(p[q*nr:])
				d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = c0[q], c1[q], c2[q], c3[q], c4[q], c5[q], c6[q], c7[q]
			}
		default:
			clear(p)
			for j := range nt {
				src := b[(jc+jr+j)*ldb+pc:][:kb]
				for q, v := range src {
					p[q*nr+j] = v
				}
			}
		}
	}
}

// scale sets C = beta·C (C = 0 when beta is 0, whatever C holds).
func scale(m, n int, beta float64, c []float64, ldc int) {
	if beta == 1 {
		return
	}
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

func checkTrans(t gblas.Transpose) bool {
	switch t {
	case gblas.NoTrans:
		return false
	case gblas.Trans, gblas.ConjTrans:
		return true
	}
	panic(badTranspose)
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}
