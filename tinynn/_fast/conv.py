"""The fast CPU convolution: the batch in chunks on threads, each chunk by im2col or by shifted rows.

What a convolution computes is its reference, ``Conv2dFunction`` in
``tinynn/nn/_functions/conv.py``: im2col and one product over the whole batch.
``ShiftedRowsConv2d`` computes the same on the CPU, faster:

Batch chunks. The batch is cut into one chunk of images per thread
(``batch_chunks``, ``run_parallel`` in ``threads.py``); each chunk runs on its
own images, and the weight gradients of the chunks are summed.

im2col per chunk. Where shifted rows do not apply, a chunk runs im2col with the
bias riding in the same product: it is one more column of the weight matrix,
multiplying a row of ones appended to the columns, so ``W cols`` already
includes it and backward's ``gy cols^T`` gives dL/db as its last column.
dL/dx is ``W^T gy`` added back to the pixels the columns were read from, with
KH*KW strided additions (col2im).

Shifted rows (stride 1, one group, at least ``SHIFTED_MIN_CHANNELS`` input
channels): lay channel c of all N padded images end to end in one row (length
N*Hp*Wp). Kernel offset (i, j) then reads, for every output pixel, the
element ``off = i*Wp + j`` further along that row, so the convolution of the
whole batch is a sum of KH*KW products ``W[:, :, i, j] (O, C) @ rows[:, off:off + N*Hp*Wp]``,
each reading a shifted *view* of the rows (or, when that writes more than
copying would, one product over those views copied into columns: see
``sum_of_shifted_products``). It has a value for every padded position; those past OH x OW read across a
row's or an image's end and are dropped. Neighbouring rows (and images) share
their zero padding where the kernel allows (``block_extent``): with padding 1
on both sides, a 16x16 image takes 17x17 positions instead of 18x18, and
every product 11% less work. Backward: since output p reads input
p + off, input q's gradient gathers gy from q - off: the same sum of shifted
products, over gy, with the kernel flipped. ``dL/dW[:, :, i, j]`` is ``gy``
times the same shifted view of the rows, transposed: one product over columns,
either the rows' columns rebuilt from the saved rows or, when the layer narrows
(fewer outputs than inputs), gy's shifted columns, the smaller of the two,
which the input gradient has built already.

CuPy arrays, and an empty batch, take the reference (``super()``).
"""
from __future__ import annotations

import numpy as np

from .._device import get_array_module
from .._kernels import register_fast
from ..nn._functions.conv import Conv2dFunction, pad2d, strided_view, window_slice, windows
from .threads import batch_chunks, run_parallel

SHIFTED_MIN_CHANNELS = 8   # below this, K = C is too small for efficient products: use im2col


def block_extent(size: int, before: int, after: int, reach: int) -> int:
    """How many positions one image takes along an axis in the shifted-rows layout.

    ``before`` zeros, the image's ``size`` values, then only the zeros that
    ``before`` does not already provide: reading ``after`` past the end lands
    in the next block's leading zeros. That is enough while the ``size +
    before + after - reach`` outputs fit in the block; otherwise all the padding.
    """
    shared = before + size + max(0, after - before)
    return shared if size + before + after - reach <= shared else before + size + after


@register_fast(Conv2dFunction)
class ShiftedRowsConv2d(Conv2dFunction):
    """y = conv(x, W) + b on the CPU: the batch split into chunks that run at once, each chunk
    by shifted rows (stride 1, one group, >= ``SHIFTED_MIN_CHANNELS`` input channels) or by im2col."""

    on_threads = False                          # did forward take the chunked path (else the reference's)?

    def forward(self, x, weight, bias=None):
        xp = get_array_module(x)
        if xp is not np or x.shape[0] == 0:
            return super().forward(x, weight, bias)                      # the GPU, an empty batch: the reference
        self.on_threads = True
        n, o, (oh, ow) = x.shape[0], weight.shape[0], self.out_hw
        self.kernel, self.k = weight.shape[2:], weight[0].size          # k: column rows from the image
        self.bias = bias
        self.shifted = self.stride == (1, 1) and self.groups == 1 and x.shape[1] >= SHIFTED_MIN_CHANNELS
        if self.shifted:
            self.w = weight.transpose(2, 3, 0, 1).reshape(-1, o, x.shape[1])    # (KH*KW, O, C): one matrix per offset
        else:
            w = weight.reshape(self.groups, o // self.groups, -1)          # (G, O/G, C/G*KH*KW)
            if bias is not None:                                           # (G, O/G, C/G*KH*KW + 1)
                w = xp.concatenate([w, bias.reshape(*w.shape[:2], 1).astype(w.dtype)], axis=2)
            self.w = w
        y = xp.empty((n, o, oh, ow), dtype=xp.result_type(x, weight))
        forward_chunk = self.forward_shifted if self.shifted else self.forward_im2col
        (kh, kw), c = self.kernel, x.shape[1]
        self.chunks = batch_chunks(x, work_size=n * c * kh * kw * oh * ow)   # split by the columns' size
        # what each chunk keeps for backward: its columns, or its rows
        self.saved = run_parallel(lambda images: forward_chunk(x[images], y[images]), self.chunks)
        return y

    def backward(self, gy):
        if not self.on_threads:
            return super().backward(gy)
        xp = get_array_module(gy)
        gx = xp.empty(self.inputs[0].shape, dtype=gy.dtype) if self.needs_grad(0) else None
        backward_chunk = self.backward_shifted if self.shifted else self.backward_im2col

        def chunk(part):
            images, saved = part
            return backward_chunk(gy[images], saved, None if gx is None else gx[images])

        parts = run_parallel(chunk, list(zip(self.chunks, self.saved)))    # (dL/dW, dL/db) of each chunk
        weight = self.inputs[1]
        gw = sum((p[0] for p in parts), xp.zeros(weight.shape, gy.dtype)) if self.needs_grad(1) else None
        gb = sum((p[1] for p in parts), xp.zeros(weight.shape[0], gy.dtype)) if self.bias_needs_grad() else None
        return gx, gw, gb

    # ---------------------------------------------------------------- im2col, per chunk
    def forward_im2col(self, x, y):
        """Write conv(x) + b into y; return the columns backward needs."""
        xp = get_array_module(x)
        n, g = x.shape[0], self.groups
        kh, kw = self.kernel
        oh, ow = self.out_hw
        padded = pad2d(x, self.pads)
        # columns: (N, G, C/G*KH*KW [+ 1 row of ones], OH*OW), one copy of the strided view
        cols = xp.empty((n, g, self.k + (self.bias is not None), oh * ow), dtype=x.dtype)
        receptive_fields = windows(padded, (kh, kw), self.stride, self.dilation, self.out_hw)
        xp.copyto(cols[:, :, :self.k].reshape(n, g, -1, kh, kw, oh, ow),
                  receptive_fields.reshape(n, g, -1, kh, kw, oh, ow))
        cols[:, :, self.k:] = 1                                            # what the bias multiplies
        xp.matmul(self.w, cols, out=y.reshape(n, g, -1, oh * ow))           # y = [W b] [cols; 1] (per image and group)
        return cols

    def backward_im2col(self, gy, cols, gx):
        """(dL/dW, dL/db) of these images (None where not wanted); dL/dx written into gx (when wanted)."""
        n, o, oh, ow = gy.shape
        gy = gy.reshape(n, self.groups, o // self.groups, oh * ow)
        gw = gb = None
        if self.needs_grad(1) or self.bias_needs_grad():
            g = (gy @ cols.swapaxes(-1, -2)).sum(axis=0)                    # dL/d[W b] = sum over images of gy cols^T
            gw = g[..., :self.k].reshape(self.inputs[1].shape)              # the image rows' part
            gb = g[..., self.k].reshape(-1) if self.bias is not None else None   # dL/db = gy ones^T = sum of gy
        if gx is not None:
            gcols = self.w[..., :self.k].transpose(0, 2, 1) @ gy            # dL/dcols = W^T gy
            self.col2im(gcols, gx)
        return gw, gb

    def col2im(self, gcols, gx):
        """Add each column's gradient back to the pixel it was read from (KH*KW strided adds) into gx."""
        xp = get_array_module(gcols)
        n, c, h, w = gx.shape
        top, bottom, left, right = self.pads
        kh, kw = self.kernel
        gcols = gcols.reshape(n, c, kh, kw, *self.out_hw)
        gpad = xp.zeros((n, c, h + top + bottom, w + left + right), dtype=gcols.dtype)
        for i in range(kh):
            for j in range(kw):
                rows, cols = window_slice(i, j, self.stride, self.dilation, self.out_hw)
                gpad[:, :, rows, cols] += gcols[:, :, i, j]                 # dL/dx = sum of its copies' gradients
        gx[...] = gpad[:, :, top:top + h, left:left + w]

    # ---------------------------------------------------------------- shifted rows (stride 1)
    def offsets(self):
        """How far along a row of flattened padded images each kernel offset (i, j) reads."""
        (kh, kw), (dh, dw), wp = self.kernel, self.dilation, self.padded_hw[1]
        return [i * dh * wp + j * dw for i in range(kh) for j in range(kw)]

    def shifted_columns(self, rows, size):
        """The columns (KH*KW*K, size) for rows (K, size + reach): row (i, j, c) is rows[c] read
        ``i*dh*Wp + j*dw`` further along. One copy of a strided view, as ``windows`` is for im2col."""
        (kh, kw), (dh, dw), wp = self.kernel, self.dilation, self.padded_hw[1]
        item, k = rows.itemsize, rows.shape[0]
        view = strided_view(rows, (kh, kw, k, size), (dh * wp * item, dw * item, rows.strides[0], item))
        return get_array_module(rows).ascontiguousarray(view).reshape(-1, size)

    def sum_of_shifted_products(self, weights, rows, size, columns=None):
        """sum over kernel offsets k of ``weights[k] (M, K) @ rows[:, off_k:off_k + size]``: (M, size).

        Two ways, the same sum. With no more outputs M than inputs K (the
        forward of a layer that narrows, as the seeds' conv2), KH*KW products
        each read a shifted view of ``rows`` in place and add into the result.
        With more outputs than inputs (an input gradient, there), writing KH*KW
        partial results of M rows costs more than copying the KH*KW shifted
        views of K rows into columns once: then one product over the columns
        (``columns``, when the caller has already built them).
        """
        xp = get_array_module(rows)
        kk, m, k = weights.shape
        if m > k:
            columns = self.shifted_columns(rows, size) if columns is None else columns
            return weights.transpose(1, 0, 2).reshape(m, kk * k) @ columns
        total = xp.empty((m, size), dtype=xp.result_type(weights, rows))
        term = xp.empty_like(total)
        for i, off in enumerate(self.offsets()):
            xp.matmul(weights[i], rows[:, off:off + size], out=term if i else total)
            if i:
                total += term
        return total

    def forward_shifted(self, x, y):
        """Write conv(x) + b into y; return the rows backward needs."""
        xp = get_array_module(x)
        n, c, h, w = x.shape
        o, (oh, ow) = y.shape[1], self.out_hw
        top, bottom, left, right = self.pads
        (kh, kw), (dh, dw) = self.kernel, self.dilation
        hp, wp = block_extent(h, top, bottom, dh * (kh - 1)), block_extent(w, left, right, dw * (kw - 1))
        self.padded_hw = (hp, wp)
        size = n * hp * wp                                                  # all padded images, end to end
        # rows: channel c of every padded image in one row, plus room for the largest offset
        rows = xp.zeros((c, size + self.offsets()[-1]), dtype=x.dtype)
        rows[:, :size].reshape(c, n, hp, wp)[:, :, top:top + h, left:left + w] = x.transpose(1, 0, 2, 3)
        out = self.sum_of_shifted_products(self.w, rows, size)             # y = sum_k W_k rows shifted by off_k
        if self.bias is not None:
            out += self.bias.reshape(o, 1)                                  # + b
        y[...] = out.reshape(o, n, hp, wp)[:, :, :oh, :ow].transpose(1, 0, 2, 3)
        return rows

    def backward_shifted(self, gy, rows, gx):
        """(dL/dW, dL/db) of these images (None where not wanted); dL/dx written into gx (when wanted)."""
        xp = get_array_module(gy)
        n, o, oh, ow = gy.shape
        hp, wp = self.padded_hw
        offsets = self.offsets()
        size, reach = n * hp * wp, offsets[-1]
        # gy at every padded position (0 at the dropped ones), after `reach` zeros for the shifts below
        g_padded = xp.zeros((o, reach + size), dtype=gy.dtype)
        g = g_padded[:, reach:]
        g.reshape(o, n, hp, wp)[:, :, :oh, :ow] = gy.transpose(1, 0, 2, 3)
        # Input q was read by output q - off(i, j) through weight (i, j). In g_padded, that
        # output sits `reach - off(i, j) = off(KH-1-i, KW-1-j)` ahead of q, so the columns of
        # g_padded hold, in block (i, j), gy shifted back by the flipped offset.
        c, (kh, kw) = rows.shape[0], self.kernel
        g_columns = self.shifted_columns(g_padded, size) if o < c else None   # (KH*KW*O, size)
        gw = gb = None
        if self.needs_grad(1):
            if g_columns is not None:    # gy's columns are the smaller: dL/dW_k = sum_q gy[q - off_k] rows[q]^T
                gw = (g_columns @ rows[:, :size].T).reshape(kh, kw, o, c)[::-1, ::-1]  # block (i, j) is W_flip's
            else:                        # dL/dW = gy columns^T: (O, KH*KW*C)
                gw = (g @ self.shifted_columns(rows, size).T).reshape(o, kh, kw, c).transpose(1, 2, 0, 3)
            gw = gw.transpose(2, 3, 0, 1)                                     # (KH, KW, O, C) as (O, C, KH, KW)
        if self.bias_needs_grad():
            gb = g.sum(axis=1)                                                # dL/db = sum of gy
        if gx is not None:
            # the same sum of shifted products as the forward's, over gy, with the kernel flipped
            flipped_t = self.w[::-1].transpose(0, 2, 1)                      # W_{KH-1-i, KW-1-j}^T: (KH*KW, C, O)
            grows = self.sum_of_shifted_products(flipped_t, g_padded, size, g_columns)  # dL/dx = sum_k W_flip,k^T gy shifted
            top, _, left, _ = self.pads
            h, w = gx.shape[2:]
            gx[...] = grows.reshape(-1, n, hp, wp)[:, :, top:top + h, left:left + w].transpose(1, 0, 2, 3)
        return gw, gb
