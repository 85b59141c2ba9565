// A shared library that is not a model.
__attribute__((visibility("default"))) int answer(void) { return 42; }
