//go:build amd64 && !purego

#include "textflag.h"

// Register use in updateAVX512:
//   SI data pointer, CX bytes left, AX crc in, DX crc out
//   Z0-Z7 accumulators, Z9 initial crc, Z5-Z8 and Z16-Z23 products, Z10 constants.
// Constants come from ·foldConsts (fold.go); see there for their meaning.

// func updateAVX512(crc uint32, p []byte) uint32
TEXT ·updateAVX512(SB), NOSPLIT, $0-36
	MOVL crc+0(FP), AX
	MOVQ p_base+8(FP), SI
	MOVQ p_len+16(FP), CX

	CMPQ CX, $64
	JLT  short

	// The crc is xored into the first 4 bytes: CRC(I, M) = CRC(0, M xor I·x^(|M|-32)).
	VMOVD AX, X9
	CMPQ  CX, $256
	JLT   one_acc

	CMPQ  CX, $512
	JLT   four_acc

	// Eight accumulators, each folded forward 512 bytes a round.
	VMOVDQU64       (SI), Z0
	VMOVDQU64       64(SI), Z1
	VMOVDQU64       128(SI), Z2
	VMOVDQU64       192(SI), Z3
	VMOVDQU64       256(SI), Z4
	VMOVDQU64       320(SI), Z5
	VMOVDQU64       384(SI), Z6
	VMOVDQU64       448(SI), Z7
	VPXORQ          Z9, Z0, Z0
	ADDQ            $512, SI
	SUBQ            $512, CX
	VBROADCASTI32X4 ·foldConsts+96(SB), Z10

	CMPQ CX, $512
	JLT  fold8to4

	PCALIGN $32
loop512:
	VPCLMULQDQ $0x00, Z10, Z0, Z16
	VPCLMULQDQ $0x11, Z10, Z0, Z0
	VPCLMULQDQ $0x00, Z10, Z1, Z17
	VPCLMULQDQ $0x11, Z10, Z1, Z1
	VPCLMULQDQ $0x00, Z10, Z2, Z18
	VPCLMULQDQ $0x11, Z10, Z2, Z2
	VPCLMULQDQ $0x00, Z10, Z3, Z19
	VPCLMULQDQ $0x11, Z10, Z3, Z3
	VPCLMULQDQ $0x00, Z10, Z4, Z20
	VPCLMULQDQ $0x11, Z10, Z4, Z4
	VPCLMULQDQ $0x00, Z10, Z5, Z21
	VPCLMULQDQ $0x11, Z10, Z5, Z5
	VPCLMULQDQ $0x00, Z10, Z6, Z22
	VPCLMULQDQ $0x11, Z10, Z6, Z6
	VPCLMULQDQ $0x00, Z10, Z7, Z23
	VPCLMULQDQ $0x11, Z10, Z7, Z7
	VPTERNLOGQ $0x96, (SI), Z16, Z0
	VPTERNLOGQ $0x96, 64(SI), Z17, Z1
	VPTERNLOGQ $0x96, 128(SI), Z18, Z2
	VPTERNLOGQ $0x96, 192(SI), Z19, Z3
	VPTERNLOGQ $0x96, 256(SI), Z20, Z4
	VPTERNLOGQ $0x96, 320(SI), Z21, Z5
	VPTERNLOGQ $0x96, 384(SI), Z22, Z6
	VPTERNLOGQ $0x96, 448(SI), Z23, Z7
	ADDQ       $512, SI
	SUBQ       $512, CX
	CMPQ       CX, $512
	JGE        loop512

fold8to4:
	// Fold Z0..Z3 onto Z4..Z7 (256 bytes on), leaving the sums in Z0..Z3.
	VBROADCASTI32X4 ·foldConsts+0(SB), Z10
	VPCLMULQDQ      $0x00, Z10, Z0, Z16
	VPCLMULQDQ      $0x11, Z10, Z0, Z0
	VPCLMULQDQ      $0x00, Z10, Z1, Z17
	VPCLMULQDQ      $0x11, Z10, Z1, Z1
	VPCLMULQDQ      $0x00, Z10, Z2, Z18
	VPCLMULQDQ      $0x11, Z10, Z2, Z2
	VPCLMULQDQ      $0x00, Z10, Z3, Z19
	VPCLMULQDQ      $0x11, Z10, Z3, Z3
	VPTERNLOGQ      $0x96, Z16, Z4, Z0
	VPTERNLOGQ      $0x96, Z17, Z5, Z1
	VPTERNLOGQ      $0x96, Z18, Z6, Z2
	VPTERNLOGQ      $0x96, Z19, Z7, Z3
	JMP             loop256

four_acc:
	// Four accumulators, each folded forward 256 bytes a round.
	VMOVDQU64       (SI), Z0
	VMOVDQU64       64(SI), Z1
	VMOVDQU64       128(SI), Z2
	VMOVDQU64       192(SI), Z3
	VPXORQ          Z9, Z0, Z0
	ADDQ            $256, SI
	SUBQ            $256, CX
	VBROADCASTI32X4 ·foldConsts+0(SB), Z10

	PCALIGN $32
loop256:
	CMPQ       CX, $256
	JLT        fold4to1
	VPCLMULQDQ $0x00, Z10, Z0, Z5
	VPCLMULQDQ $0x11, Z10, Z0, Z0
	VPCLMULQDQ $0x00, Z10, Z1, Z6
	VPCLMULQDQ $0x11, Z10, Z1, Z1
	VPCLMULQDQ $0x00, Z10, Z2, Z7
	VPCLMULQDQ $0x11, Z10, Z2, Z2
	VPCLMULQDQ $0x00, Z10, Z3, Z8
	VPCLMULQDQ $0x11, Z10, Z3, Z3
	VPTERNLOGQ $0x96, (SI), Z5, Z0
	VPTERNLOGQ $0x96, 64(SI), Z6, Z1
	VPTERNLOGQ $0x96, 128(SI), Z7, Z2
	VPTERNLOGQ $0x96, 192(SI), Z8, Z3
	ADDQ       $256, SI
	SUBQ       $256, CX
	JMP        loop256

fold4to1:
	// Fold Z0 onto Z1, Z1 onto Z2, Z2 onto Z3: 64 bytes each.
	VBROADCASTI32X4 ·foldConsts+16(SB), Z10
	VPCLMULQDQ      $0x00, Z10, Z0, Z5
	VPCLMULQDQ      $0x11, Z10, Z0, Z0
	VPTERNLOGQ      $0x96, Z5, Z1, Z0
	VPCLMULQDQ      $0x00, Z10, Z0, Z5
	VPCLMULQDQ      $0x11, Z10, Z0, Z0
	VPTERNLOGQ      $0x96, Z5, Z2, Z0
	VPCLMULQDQ      $0x00, Z10, Z0, Z5
	VPCLMULQDQ      $0x11, Z10, Z0, Z0
	VPTERNLOGQ      $0x96, Z5, Z3, Z0
	JMP             loop64

one_acc:
	VMOVDQU64       (SI), Z0
	VPXORQ          Z9, Z0, Z0
	ADDQ            $64, SI
	SUBQ            $64, CX
	VBROADCASTI32X4 ·foldConsts+16(SB), Z10

loop64:
	CMPQ       CX, $64
	JLT        reduce512
	VPCLMULQDQ $0x00, Z10, Z0, Z5
	VPCLMULQDQ $0x11, Z10, Z0, Z0
	VPTERNLOGQ $0x96, (SI), Z5, Z0
	ADDQ       $64, SI
	SUBQ       $64, CX
	JMP        loop64

reduce512:
	// Lanes 0, 1, 2 fold forward 384, 256, 128 bits onto lane 3 in one multiply (the
	// constant for lane 3 is zero), then the four lanes are xored together.
	VMOVDQU64     ·foldConsts+32(SB), Z10
	VPCLMULQDQ    $0x00, Z10, Z0, Z5
	VPCLMULQDQ    $0x11, Z10, Z0, Z6
	VPXORQ        Z5, Z6, Z5
	VEXTRACTI32X4 $3, Z0, X0
	VEXTRACTI64X4 $1, Z5, Y6
	VPXORQ        Y6, Y5, Y5
	VEXTRACTI32X4 $1, Y5, X6
	VPTERNLOGQ    $0x96, X6, X5, X0
	VMOVDQU64     ·foldConsts+64(SB), X10

loop16:
	CMPQ       CX, $16
	JLT        reduce128
	VPCLMULQDQ $0x00, X10, X0, X5
	VPCLMULQDQ $0x11, X10, X0, X0
	VPTERNLOGQ $0x96, (SI), X5, X0
	ADDQ       $16, SI
	SUBQ       $16, CX
	JMP        loop16

reduce128:
	// CRC(0, X) of the 16 bytes in X0 is X·x^32 mod P, the state after all data so far.
	VMOVQ   X0, R8
	VPEXTRQ $1, X0, R9
	VZEROUPPER
	XORL    DX, DX
	CRC32Q  R8, DX
	CRC32Q  R9, DX
	JMP     tail

short:
	MOVL AX, DX

loop8:
	CMPQ   CX, $8
	JLT    tail
	CRC32Q (SI), DX
	ADDQ   $8, SI
	SUBQ   $8, CX
	JMP    loop8

tail:
	// 0..7 bytes left (0..15 after reduce128: take 8 first).
	CMPQ   CX, $8
	JLT    tail4
	CRC32Q (SI), DX
	ADDQ   $8, SI
	SUBQ   $8, CX

tail4:
	CMPQ   CX, $4
	JLT    tail2
	CRC32L (SI), DX
	ADDQ   $4, SI
	SUBQ   $4, CX

tail2:
	CMPQ   CX, $2
	JLT    tail1
	CRC32W (SI), DX
	ADDQ   $2, SI
	SUBQ   $2, CX

tail1:
	CMPQ   CX, $1
	JLT    done
	CRC32B (SI), DX

done:
	MOVL DX, ret+32(FP)
	RET

// func headerState(p *byte) uint32
TEXT ·headerState(SB), NOSPLIT, $0-12
	MOVQ   p+0(FP), SI
	MOVL   $0xFFFFFFFF, AX
	CRC32Q (SI), AX
	XORL   CX, CX
	CRC32L CX, AX
	MOVL   AX, ret+8(FP)
	RET
