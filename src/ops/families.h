// One registration function per operator family file. registry.cpp calls each of them;
// a family that is declared here but not defined fails the link.
#pragma once

namespace top::ops {
class OpRegistry;

void register_conv_ops(OpRegistry& r);         // conv.cpp: Conv, ConvTranspose
void register_pool_ops(OpRegistry& r);         // pool.cpp: MaxPool, AveragePool, Global*Pool
void register_norm_ops(OpRegistry& r);         // norm.cpp: BatchNormalization, LayerNormalization
void register_matmul_ops(OpRegistry& r);       // matmul.cpp: MatMul, Gemm
void register_elementwise_ops(OpRegistry& r);  // elementwise.cpp: unary and binary math, Where, Equal, Cast
void register_activation_ops(OpRegistry& r);   // activation.cpp: Relu, Sigmoid, Clip, Softmax, ...
void register_reduce_ops(OpRegistry& r);       // reduce.cpp: ReduceMean, ReduceSum, ReduceMax
void register_shape_ops(OpRegistry& r);        // shape.cpp: Reshape, Flatten, Squeeze, Shape, ...
void register_tensor_ops(OpRegistry& r);       // tensor.cpp: Concat, Split, Slice, Gather, Transpose, Pad, ...
void register_resize_ops(OpRegistry& r);       // resize.cpp: Resize, Upsample, GridSample
void register_matrix_mask_ops(OpRegistry& r);  // matrix_masks.cpp: Trilu, EyeLike
void register_cumulative_ops(OpRegistry& r);   // cumulative.cpp: CumSum
void register_encoding_ops(OpRegistry& r);     // encoding.cpp: OneHot
void register_gather_nd_ops(OpRegistry& r);    // gather_nd.cpp: GatherND
void register_scatter_ops(OpRegistry& r);      // scatter.cpp: ScatterElements, Scatter, ScatterND
void register_selection_ops(OpRegistry& r);    // selection.cpp: TopK
void register_quantize_ops(OpRegistry& r);     // quantize.cpp: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear
void register_loss_ops(OpRegistry& r);         // loss.cpp: NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss
void register_recurrent_ops(OpRegistry& r);    // recurrent.cpp: RNN, GRU, LSTM
void register_control_flow_ops(OpRegistry& r);  // exec/control_flow.cpp (runs bodies with the planner): If, Loop, Scan
void register_einsum_ops(OpRegistry& r);        // einsum.cpp: Einsum
void register_data_dependent_ops(OpRegistry& r);  // data_dependent.cpp: NonZero, Compress, Unique, NonMaxSuppression
void register_linalg_ops(OpRegistry& r);        // linalg.cpp: Det
void register_reverse_sequence_ops(OpRegistry& r);  // reverse_sequence.cpp: ReverseSequence
void register_text_ops(OpRegistry& r);          // text.cpp: TfIdfVectorizer
void register_roi_align_ops(OpRegistry& r);     // roi_align.cpp: RoiAlign
void register_unpool_ops(OpRegistry& r);        // unpool.cpp: MaxUnpool
void register_training_ops(OpRegistry& r);      // training.cpp: Adagrad, Momentum, Adam (ai.onnx.preview.training)
void register_signal_ops(OpRegistry& r);        // signal.cpp: Hann/Hamming/BlackmanWindow, DFT, STFT, MelWeightMatrix
void register_sequence_ops(OpRegistry& r);      // sequence.cpp: Sequence*, SplitToSequence, ConcatFromSequence, Optional*
void register_quantized_linear_ops(OpRegistry& r);  // quantized_linear.cpp: MatMulInteger, QLinearMatMul, ConvInteger, QLinearConv

}  // namespace top::ops
