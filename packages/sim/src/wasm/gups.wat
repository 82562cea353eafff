;; The gups-hotset (and phase-shift) workload generator: gups.ts's loop (gupsFillJs), in
;; WebAssembly, four accesses at a time in SIMD lanes. Each access takes four mulberry32 draws from
;; the thread's state, as that loop does: hot or not, the page, the line, the write flag (a step
;; only, when writeFraction is 0 or 1). The draws of four accesses are mulberry32 of the state plus
;; 1..16 steps, so each draw is one vector. The arithmetic gives the loop's bytes exactly: a draw is
;; its u32 times 2^-32 (the loop's division by 2^32); draw < f is u32 < ceil(f × 2^32) (hotBelow,
;; writeBelow, with hotAll, writeAll for f × 2^32 = 2^32); the page is the truncation of draw × range
;; in f64 (the loop's Math.floor: the product is not negative), saturating (it is below 2^31).
;; It runs in a memory of its own; the caller copies the accesses out.
;; Built into gups-wasm.ts by `pnpm build:wasm`; a test checks the two agree.
;;
;; gups(a, n, vpage, line, write, hotBelow, hotAll, base, hot, pages, fixedWrite, writeBelow, writeAll)
;; writes n accesses at the three offsets and returns the thread's new state. fixedWrite: 0 or 1
;; (the flag of every access), or -1 (drawn).
(module
  (import "env" "memory" (memory 1))
  ;; mulberry32's output for a state already stepped (the tail's draws; the SIMD loop keeps its
  ;; four lanes inline: V8 did not inline a call there, 22 % slower)
  (func $mix (param $s i32) (result i32) (local $t i32)
    (local.set $t (i32.mul (i32.xor (local.get $s) (i32.shr_u (local.get $s) (i32.const 15))) (i32.or (local.get $s) (i32.const 1))))
    (local.set $t (i32.xor (local.get $t) (i32.add (local.get $t) (i32.mul (i32.xor (local.get $t) (i32.shr_u (local.get $t) (i32.const 7))) (i32.or (local.get $t) (i32.const 61))))))
    (i32.xor (local.get $t) (i32.shr_u (local.get $t) (i32.const 14))))
  (func (export "gups")
    (param $a i32) (param $n i32) (param $vpage i32) (param $line i32) (param $write i32)
    (param $hotBelow i32) (param $hotAll i32) (param $base i32) (param $hot f64) (param $pages f64)
    (param $fixedWrite i32) (param $writeBelow i32) (param $writeAll i32)
    (result i32)
    (local $i i32) (local $t i32) (local $inHot i32)
    (local $s v128) (local $v v128) (local $mask v128) (local $lo v128) (local $hi v128)
    (local $hotV v128) (local $pagesV v128) (local $baseV v128) (local $hotBelowV v128) (local $hotAllV v128)
    (local $writeBelowV v128) (local $writeAllV v128) (local $scale v128)
    (local.set $hotV (f64x2.splat (local.get $hot)))
    (local.set $pagesV (f64x2.splat (local.get $pages)))
    (local.set $baseV (i32x4.splat (local.get $base)))
    (local.set $hotBelowV (i32x4.splat (local.get $hotBelow)))
    (local.set $hotAllV (i32x4.splat (i32.sub (i32.const 0) (local.get $hotAll))))
    (local.set $writeBelowV (i32x4.splat (local.get $writeBelow)))
    (local.set $writeAllV (i32x4.splat (i32.sub (i32.const 0) (local.get $writeAll))))
    (local.set $scale (f64x2.splat (f64.const 0x1p-32)))
    ;; four accesses at a time, one lane each: their draws are mulberry32 of a + (d + 4j) × the step
    (block $tail
      (loop $four
        (br_if $tail (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
        ;; draw 1: hot or not, as a lane mask
        (local.set $s (i32x4.add (i32x4.splat (local.get $a)) (v128.const i32x4 1831565813 567894473 -695776867 -1959448207)))
        (local.set $v (i32x4.mul (v128.xor (local.get $s) (i32x4.shr_u (local.get $s) (i32.const 15))) (v128.or (local.get $s) (v128.const i32x4 1 1 1 1))))
        (local.set $v (v128.xor (local.get $v) (i32x4.add (local.get $v) (i32x4.mul (v128.xor (local.get $v) (i32x4.shr_u (local.get $v) (i32.const 7))) (v128.or (local.get $v) (v128.const i32x4 61 61 61 61))))))
        (local.set $v (v128.xor (local.get $v) (i32x4.shr_u (local.get $v) (i32.const 14))))
        (local.set $mask (v128.or (i32x4.lt_u (local.get $v) (local.get $hotBelowV)) (local.get $hotAllV)))
        ;; draw 2: the page, in the hot range or in all of the footprint, two lanes at a time in f64
        (local.set $s (i32x4.add (i32x4.splat (local.get $a)) (v128.const i32x4 -631835670 -1895507010 1135788946 -127882394)))
        (local.set $v (i32x4.mul (v128.xor (local.get $s) (i32x4.shr_u (local.get $s) (i32.const 15))) (v128.or (local.get $s) (v128.const i32x4 1 1 1 1))))
        (local.set $v (v128.xor (local.get $v) (i32x4.add (local.get $v) (i32x4.mul (v128.xor (local.get $v) (i32x4.shr_u (local.get $v) (i32.const 7))) (v128.or (local.get $v) (v128.const i32x4 61 61 61 61))))))
        (local.set $v (v128.xor (local.get $v) (i32x4.shr_u (local.get $v) (i32.const 14))))
        (local.set $lo (i32x4.trunc_sat_f64x2_u_zero (f64x2.mul (f64x2.mul (f64x2.convert_low_i32x4_u (local.get $v)) (local.get $scale))
          (v128.bitselect (local.get $hotV) (local.get $pagesV) (i64x2.extend_low_i32x4_s (local.get $mask))))))
        (local.set $hi (i32x4.trunc_sat_f64x2_u_zero (f64x2.mul (f64x2.mul (f64x2.convert_low_i32x4_u (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))) (local.get $scale))
          (v128.bitselect (local.get $hotV) (local.get $pagesV) (i64x2.extend_high_i32x4_s (local.get $mask))))))
        (v128.store (i32.add (local.get $vpage) (i32.shl (local.get $i) (i32.const 2)))
          (i32x4.add (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $lo) (local.get $hi)) (v128.and (local.get $mask) (local.get $baseV))))
        ;; draw 3: the line, the top 6 bits, narrowed to bytes
        (local.set $s (i32x4.add (i32x4.splat (local.get $a)) (v128.const i32x4 1199730143 -63941197 -1327612537 1703683419)))
        (local.set $v (i32x4.mul (v128.xor (local.get $s) (i32x4.shr_u (local.get $s) (i32.const 15))) (v128.or (local.get $s) (v128.const i32x4 1 1 1 1))))
        (local.set $v (v128.xor (local.get $v) (i32x4.add (local.get $v) (i32x4.mul (v128.xor (local.get $v) (i32x4.shr_u (local.get $v) (i32.const 7))) (v128.or (local.get $v) (v128.const i32x4 61 61 61 61))))))
        (local.set $v (v128.xor (local.get $v) (i32x4.shr_u (local.get $v) (i32.const 14))))
        (local.set $v (i32x4.shr_u (local.get $v) (i32.const 26)))
        (local.set $v (i8x16.narrow_i16x8_u (i16x8.narrow_i32x4_u (local.get $v) (local.get $v)) (local.get $v)))
        (v128.store32_lane 0 (i32.add (local.get $line) (local.get $i)) (local.get $v))
        ;; draw 4: write or read; fixed, no draw
        (if (i32.ge_s (local.get $fixedWrite) (i32.const 0))
          (then (i32.store (i32.add (local.get $write) (local.get $i)) (i32.mul (local.get $fixedWrite) (i32.const 0x01010101))))
          (else
            (local.set $s (i32x4.add (i32x4.splat (local.get $a)) (v128.const i32x4 -1263671340 1767624616 503953276 -759718064)))
            (local.set $v (i32x4.mul (v128.xor (local.get $s) (i32x4.shr_u (local.get $s) (i32.const 15))) (v128.or (local.get $s) (v128.const i32x4 1 1 1 1))))
            (local.set $v (v128.xor (local.get $v) (i32x4.add (local.get $v) (i32x4.mul (v128.xor (local.get $v) (i32x4.shr_u (local.get $v) (i32.const 7))) (v128.or (local.get $v) (v128.const i32x4 61 61 61 61))))))
            (local.set $v (v128.xor (local.get $v) (i32x4.shr_u (local.get $v) (i32.const 14))))
            (local.set $v (v128.and (v128.or (i32x4.lt_u (local.get $v) (local.get $writeBelowV)) (local.get $writeAllV)) (v128.const i32x4 1 1 1 1)))
            (local.set $v (i8x16.narrow_i16x8_u (i16x8.narrow_i32x4_u (local.get $v) (local.get $v)) (local.get $v)))
            (v128.store32_lane 0 (i32.add (local.get $write) (local.get $i)) (local.get $v))))
        (local.set $a (i32.add (local.get $a) (i32.const 0xd2b79f50))) ;; 16 steps of 0x6d2b79f5
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $four)))
    ;; the last n mod 4, one at a time
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $a (i32.add (local.get $a) (i32.const 0x6d2b79f5)))
        (local.set $t (call $mix (local.get $a)))
        (local.set $inHot (i32.or (i32.lt_u (local.get $t) (local.get $hotBelow)) (local.get $hotAll)))
        (local.set $a (i32.add (local.get $a) (i32.const 0x6d2b79f5)))
        (local.set $t (call $mix (local.get $a)))
        (i32.store (i32.add (local.get $vpage) (i32.shl (local.get $i) (i32.const 2)))
          (i32.add
            (select (local.get $base) (i32.const 0) (local.get $inHot))
            (i32.trunc_f64_u (f64.mul (f64.mul (f64.convert_i32_u (local.get $t)) (f64.const 0x1p-32))
              (select (local.get $hot) (local.get $pages) (local.get $inHot))))))
        (local.set $a (i32.add (local.get $a) (i32.const 0x6d2b79f5)))
        (local.set $t (call $mix (local.get $a)))
        (i32.store8 (i32.add (local.get $line) (local.get $i)) (i32.shr_u (local.get $t) (i32.const 26)))
        (local.set $a (i32.add (local.get $a) (i32.const 0x6d2b79f5)))
        (if (i32.ge_s (local.get $fixedWrite) (i32.const 0))
          (then (i32.store8 (i32.add (local.get $write) (local.get $i)) (local.get $fixedWrite)))
          (else
            (local.set $t (call $mix (local.get $a)))
            (i32.store8 (i32.add (local.get $write) (local.get $i)) (i32.or (i32.lt_u (local.get $t) (local.get $writeBelow)) (local.get $writeAll)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $a)))
