{
  "targets": [
    {
      "target_name": "crm_tapi",
      "sources": ["src/addon.cc", "src/session.cc", "src/tapi-structs.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "UNICODE", "_UNICODE"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17"],
      "conditions": [
        ["OS=='win'", {
          "libraries": ["tapi32.lib"],
          "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1 } }
        }, {
          "sources": ["fake/fake-tsp.cc", "fake/fake-control.cc", "fake/fake-call-control.cc"],
          "include_dirs": ["fake/win"],
          "defines": ["CRM_TAPI_FAKE_LINKED", "TAPI_H_PATH=\"<!(node scripts/tapi-header.mjs)\""]
        }]
      ]
    }
  ]
}
