"""The interop suite's custom layer and activation, registered under the package "Interop" as
their C++ twins are (tests/interop/custom_plugin/interop_custom.cpp)."""
_defined = {}


def define(K):
    """ScaledDense and scaled_tanh for the Keras module K (tf_keras or keras), registered once."""
    if K.__name__ in _defined:
        return _defined[K.__name__]
    ops = K.ops if hasattr(K, "ops") else None
    import tensorflow as tf

    matmul = ops.matmul if ops else tf.matmul
    tanh = ops.tanh if ops else tf.tanh

    @K.utils.register_keras_serializable(package="Interop")
    class ScaledDense(K.layers.Layer):
        def __init__(self, units=4, scale=1.0, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.scale = scale

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                          initializer="glorot_uniform", trainable=True)
            self.offset = self.add_weight(name="offset", shape=(self.units,), initializer="zeros", trainable=False)
            super().build(input_shape)

        def call(self, x):
            return self.scale * matmul(x, self.kernel) + self.offset

        def get_config(self):
            config = super().get_config()
            config.update({"units": self.units, "scale": self.scale})
            return config

    @K.utils.register_keras_serializable(package="Interop")
    def scaled_tanh(x):
        return 2.0 * tanh(x)

    _defined[K.__name__] = (ScaledDense, scaled_tanh)
    return _defined[K.__name__]
