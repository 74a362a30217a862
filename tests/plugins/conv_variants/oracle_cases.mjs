// tfjs oracle cases for Conv2DTranspose, DepthwiseConv2D and SeparableConv2D: independent ground
// truth for the conv_variants suite. gen.mjs (the oracle's case generator) runs this list at test
// time into the build folder: node gen.mjs OUT --cases <this file>. It is shaped like the oracle's
// own cases.mjs; its tfjs comes from the installed oracle folder, the one gen.mjs runs from.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const oracleDir = path.dirname(path.resolve(process.argv[1]));
const { tfl } = await import(pathToFileURL(path.join(oracleDir, 'lib.mjs')).href);
const L = tfl.layers;
const U = (lo, hi) => ({ type: 'uniform', lo, hi });

// One-layer Sequential on `shape`, batch 2.
function single(name, description, shape, layer) {
  return {
    name,
    kind: 'predict',
    description,
    inputs: [{ shape, dist: U(-1, 1) }],
    batch: 2,
    build: () => tfl.sequential({ name: 'sequential', layers: [layer({ inputShape: shape })] }),
  };
}

export default [
  single('conv2d_transpose_same_stride2', 'Conv2DTranspose(3, 3x3, strides 2, same, relu) on (5,5,2)', [5, 5, 2],
    (o) => L.conv2dTranspose({ ...o, filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'conv2d_transpose' })),
  single('conv2d_transpose_valid_rect_no_bias', 'Conv2DTranspose(2, (3,2), strides (2,1), valid, no bias) on (4,3,3)', [4, 3, 3],
    (o) => L.conv2dTranspose({ ...o, filters: 2, kernelSize: [3, 2], strides: [2, 1], padding: 'valid', useBias: false, name: 'conv2d_transpose' })),
  single('conv2d_transpose_kernel_smaller_than_stride', 'Conv2DTranspose(2, 2x2, strides 3, valid) on (3,4,2)', [3, 4, 2],
    (o) => L.conv2dTranspose({ ...o, filters: 2, kernelSize: 2, strides: 3, padding: 'valid', name: 'conv2d_transpose' })),
  single('depthwise_conv2d_multiplier2_same', 'DepthwiseConv2D(3x3, depth_multiplier 2, same, tanh) on (6,6,3)', [6, 6, 3],
    (o) => L.depthwiseConv2d({ ...o, kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'tanh', name: 'depthwise_conv2d' })),
  single('depthwise_conv2d_stride2_valid_rect', 'DepthwiseConv2D((2,3), strides 2, valid) on (7,8,2)', [7, 8, 2],
    (o) => L.depthwiseConv2d({ ...o, kernelSize: [2, 3], strides: 2, padding: 'valid', name: 'depthwise_conv2d' })),
  // No dilated DepthwiseConv2D: tfjs 4.22 ignores its dilation_rate (a 3x3 kernel with dilation 2
  // on 9x9 gives 7x7; Keras gives 5x5). The suite checks that case against dilated Conv2D instead.
  // tfjs 4.22 reloads a SeparableConv2D with depth_multiplier > 1 from its own JSON with
  // multiplier 1 (gen.mjs's reload check refuses the case), so the separable cases keep 1.
  single('separable_conv2d_same', 'SeparableConv2D(4, 3x3, same, relu) on (6,6,3)', [6, 6, 3],
    (o) => L.separableConv2d({ ...o, filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'separable_conv2d' })),
  single('separable_conv2d_stride2_valid_no_bias', 'SeparableConv2D(3, 2x2, strides 2, valid, no bias) on (7,7,2)', [7, 7, 2],
    (o) => L.separableConv2d({ ...o, filters: 3, kernelSize: 2, strides: 2, padding: 'valid', useBias: false, name: 'separable_conv2d' })),
  {
    name: 'conv_variants_chain',
    kind: 'predict',
    description: 'DepthwiseConv2D(3, x2, same) -> SeparableConv2D(5, 3, strides 2) -> Conv2DTranspose(4, 3, strides 2, same) -> Flatten -> Dense(3) on (10,10,3)',
    inputs: [{ shape: [10, 10, 3], dist: U(-1, 1) }],
    batch: 3,
    build: () => tfl.sequential({
      name: 'sequential',
      layers: [
        L.depthwiseConv2d({ inputShape: [10, 10, 3], kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu', name: 'depthwise_conv2d' }),
        L.separableConv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'valid', name: 'separable_conv2d' }),
        L.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: 'conv2d_transpose' }),
        L.flatten({ name: 'flatten' }),
        L.dense({ units: 3, name: 'dense' }),
      ],
    }),
  },
];
