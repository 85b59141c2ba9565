// RUN: bitnet-opt %s --split-input-file --bitnet-dealloc-after-last-use | FileCheck %s

// Each dealloc moves up to just after the last use of its buffer, here the
// copy out of %a and the loop that reads %b (a use nested in a region counts
// as a use by the loop), so that %c can reuse the memory of %a.
// CHECK-LABEL: func.func @layers
// CHECK: %[[A:.*]] = memref.alloc() : memref<64xf32>
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[A]] : memref<64xf32>)
// CHECK: %[[B:.*]] = memref.alloc() : memref<64xf32>
// CHECK: memref.copy %[[A]], %[[B]]
// CHECK-NEXT: memref.dealloc %[[A]] : memref<64xf32>
// CHECK: scf.for
// CHECK: memref.load %[[B]]
// CHECK: }
// CHECK-NEXT: memref.dealloc %[[B]] : memref<64xf32>
// CHECK: %[[C:.*]] = memref.alloc() : memref<64xf32>
// CHECK: memref.copy %[[C]], %{{.*}}
// CHECK-NEXT: memref.dealloc %[[C]] : memref<64xf32>
// CHECK-NEXT: return
func.func @layers(%out: memref<64xf32>, %acc: memref<f32>) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %a = memref.alloc() : memref<64xf32>
  linalg.fill ins(%zero : f32) outs(%a : memref<64xf32>)
  %b = memref.alloc() : memref<64xf32>
  memref.copy %a, %b : memref<64xf32> to memref<64xf32>
  scf.for %i = %c0 to %c64 step %c1 {
    %v = memref.load %b[%i] : memref<64xf32>
    memref.store %v, %acc[] : memref<f32>
  }
  %c = memref.alloc() : memref<64xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<64xf32>)
  memref.copy %c, %out : memref<64xf32> to memref<64xf32>
  memref.dealloc %a : memref<64xf32>
  memref.dealloc %b : memref<64xf32>
  memref.dealloc %c : memref<64xf32>
  return
}

// -----

// A use through a view keeps the buffer alive: the dealloc goes after the
// last use of the subview, not after the subview itself.
// CHECK-LABEL: func.func @through_view
// CHECK: %[[A:.*]] = memref.alloc() : memref<8x8xf32>
// CHECK: %[[V:.*]] = memref.subview %[[A]]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[V]]
// CHECK: memref.copy %[[V]], %{{.*}}
// CHECK-NEXT: memref.dealloc %[[A]] : memref<8x8xf32>
// CHECK-NEXT: arith.addf
func.func @through_view(%out: memref<4xf32, strided<[1], offset: 8>>, %x: f32) -> f32 {
  %zero = arith.constant 0.0 : f32
  %a = memref.alloc() : memref<8x8xf32>
  %v = memref.subview %a[1, 0] [1, 4] [1, 1] : memref<8x8xf32> to memref<4xf32, strided<[1], offset: 8>>
  linalg.fill ins(%zero : f32) outs(%v : memref<4xf32, strided<[1], offset: 8>>)
  memref.copy %v, %out : memref<4xf32, strided<[1], offset: 8>> to memref<4xf32, strided<[1], offset: 8>>
  %y = arith.addf %x, %x : f32
  %z = arith.mulf %y, %y : f32
  memref.dealloc %a : memref<8x8xf32>
  return %z : f32
}

// -----

// A buffer that may leave through another name (a select of memrefs) or
// whose raw address is taken stays freed where deallocation put it.
// CHECK-LABEL: func.func @escapes
// CHECK: memref.alloc
// CHECK: memref.alloc
// CHECK: arith.select
// CHECK: memref.extract_aligned_pointer_as_index
// CHECK: arith.addf
// CHECK-NEXT: memref.dealloc
// CHECK-NEXT: memref.dealloc
// CHECK-NEXT: return
func.func @escapes(%cond: i1, %out: memref<4xf32>, %x: f32) -> (f32, index) {
  %a = memref.alloc() : memref<4xf32>
  %b = memref.alloc() : memref<4xf32>
  %s = arith.select %cond, %a, %out : memref<4xf32>
  %p = memref.extract_aligned_pointer_as_index %b : memref<4xf32> -> index
  %y = arith.addf %x, %x : f32
  memref.dealloc %a : memref<4xf32>
  memref.dealloc %b : memref<4xf32>
  return %y, %p : f32, index
}

// -----

// A buffer stored as a value into another memref can be read back through
// it: its dealloc stays where deallocation put it.
// CHECK-LABEL: func.func @stored
// CHECK: memref.store
// CHECK-NEXT: arith.addf
// CHECK-NEXT: memref.dealloc
// CHECK-NEXT: return
func.func @stored(%slot: memref<memref<4xf32>>, %x: f32) -> f32 {
  %a = memref.alloc() : memref<4xf32>
  memref.store %a, %slot[] : memref<memref<4xf32>>
  %y = arith.addf %x, %x : f32
  memref.dealloc %a : memref<4xf32>
  return %y : f32
}
