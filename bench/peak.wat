;; Peak multiply-accumulate throughput of the two WASM SIMD instruction sequences the kernels
;; use, measured in the benchmark's own process (bench/peak.mjs):
;;   f32_madd: f32x4.mul + f32x4.add          4 MACs per pair
;;   i16_dot:  i32x4.dot_i16x8_s + i32x4.add   8 MACs per pair
;; Built by bench/peak.mjs with wabt's wat2wasm into build/bench/peak.wasm (never committed).
;; 8 independent accumulators hide the add latency.
(module
  (memory (export "memory") 1)
  ;; f32_madd(n): n iterations of 8 independent multiply-accumulate chains; operands are
  ;; loaded from a 4 KiB ring (L1-resident) so nothing can be hoisted out of the loop.
  (func (export "f32_madd") (param $n i32) (result f32)
    (local $p i32) (local $b v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local.set $b (f32x4.splat (f32.const 0.5)))
    (loop $L
      (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load offset=0 (local.get $p)) (local.get $b))))
      (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=16 (local.get $p)) (local.get $b))))
      (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load offset=32 (local.get $p)) (local.get $b))))
      (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load offset=48 (local.get $p)) (local.get $b))))
      (local.set $a4 (f32x4.add (local.get $a4) (f32x4.mul (v128.load offset=64 (local.get $p)) (local.get $b))))
      (local.set $a5 (f32x4.add (local.get $a5) (f32x4.mul (v128.load offset=80 (local.get $p)) (local.get $b))))
      (local.set $a6 (f32x4.add (local.get $a6) (f32x4.mul (v128.load offset=96 (local.get $p)) (local.get $b))))
      (local.set $a7 (f32x4.add (local.get $a7) (f32x4.mul (v128.load offset=112 (local.get $p)) (local.get $b))))
      (local.set $p (i32.and (i32.add (local.get $p) (i32.const 128)) (i32.const 4095)))
      (br_if $L (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (f32x4.extract_lane 0 (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (local.get $a0) (local.get $a1)) (local.get $a2)) (local.get $a3)) (local.get $a4)) (local.get $a5)) (local.get $a6)) (local.get $a7))))

  ;; i16_dot(n): n iterations of 8 independent multiply-accumulate chains; operands are
  ;; loaded from a 4 KiB ring (L1-resident) so nothing can be hoisted out of the loop.
  (func (export "i16_dot") (param $n i32) (result i32)
    (local $p i32) (local $b v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local.set $b (i16x8.splat (i32.const 3)))
    (loop $L
      (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (v128.load offset=0 (local.get $p)) (local.get $b))))
      (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (v128.load offset=16 (local.get $p)) (local.get $b))))
      (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (v128.load offset=32 (local.get $p)) (local.get $b))))
      (local.set $a3 (i32x4.add (local.get $a3) (i32x4.dot_i16x8_s (v128.load offset=48 (local.get $p)) (local.get $b))))
      (local.set $a4 (i32x4.add (local.get $a4) (i32x4.dot_i16x8_s (v128.load offset=64 (local.get $p)) (local.get $b))))
      (local.set $a5 (i32x4.add (local.get $a5) (i32x4.dot_i16x8_s (v128.load offset=80 (local.get $p)) (local.get $b))))
      (local.set $a6 (i32x4.add (local.get $a6) (i32x4.dot_i16x8_s (v128.load offset=96 (local.get $p)) (local.get $b))))
      (local.set $a7 (i32x4.add (local.get $a7) (i32x4.dot_i16x8_s (v128.load offset=112 (local.get $p)) (local.get $b))))
      (local.set $p (i32.and (i32.add (local.get $p) (i32.const 128)) (i32.const 4095)))
      (br_if $L (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (i32x4.extract_lane 0 (i32x4.add (i32x4.add (i32x4.add (i32x4.add (i32x4.add (i32x4.add (i32x4.add (local.get $a0) (local.get $a1)) (local.get $a2)) (local.get $a3)) (local.get $a4)) (local.get $a5)) (local.get $a6)) (local.get $a7))))
)
