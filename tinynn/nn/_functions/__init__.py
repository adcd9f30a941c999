"""The Function classes (forward and backward) behind ``tinynn.nn.functional``."""
