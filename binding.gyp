{
  "targets": [
    {
      "target_name": "aekit",
      "sources": ["native/addon.cc", "native/dispatch.cc", "native/serialize.cc", "native/optim.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node native/libtorch.mjs include)"
      ],
      "libraries": ["<!@(node native/libtorch.mjs libs)"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-fopenmp-simd", "-fno-math-errno",
        "-Wno-unused-parameter"]
    }
  ]
}
