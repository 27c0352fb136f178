{
  "variables": {
    # RTIMER_PORTABLE=1 builds the steady-clock fallback used off Linux, so it is compiled and
    # tested here too and cannot rot.
    "rtimer_portable%": "<!(node -p \"process.env.RTIMER_PORTABLE === '1' ? 1 : 0\")",
    # RTIMER_ASAN=1 builds with AddressSanitizer for `npm run test:asan`.
    # RTIMER_PREBUILD=1 (npm run prebuild): old glibc and libstdc++ symbol versions, so one binary
    # loads on every glibc distribution Node.js runs on (see native/glibc_compat.h).
    "rtimer_prebuild%": "<!(node -p \"process.env.RTIMER_PREBUILD === '1' ? 1 : 0\")",
    "rtimer_asan%": "<!(node -p \"process.env.RTIMER_ASAN === '1' ? 1 : 0\")"
  },
  "targets": [
    {
      "target_name": "rtimer",
      "sources": [
        "native/addon.cc",
        "native/clock.cc",
        "native/delivery.cc",
        "native/dispatch_loop.cc",
        "native/floor_thread.cc",
        "native/histogram.cc",
        "native/native_timer.cc",
        "native/scheduler.cc",
        "native/timer_core.cc"
      ],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": [
        "-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter",
        "-fstack-protector-strong", "-D_FORTIFY_SOURCE=2", "-fvisibility=hidden"
      ],
      "conditions": [
        ["OS=='linux' and rtimer_portable==0", {
          "sources": ["native/waiter_timerfd.cc", "native/loop_scheduler.cc"],
          "defines": ["RTIMER_WAIT_LINUX=1"]
        }, {
          "sources": ["native/waiter_steady.cc"],
          "defines": ["RTIMER_WAIT_PORTABLE=1"]
        }],
        ["OS=='linux'", {
          "sources": ["native/thread_linux.cc"],
          "ldflags": ["-Wl,-z,relro", "-Wl,-z,now", "-pthread"]
        }, {
          "sources": ["native/thread_generic.cc"]
        }],
        ["rtimer_prebuild==1 and OS=='linux'", {
          "sources": ["native/glibc_compat.cc"],
          "cflags_cc": ["-include", "<(module_root_dir)/native/glibc_compat.h"]
        }],
        ["rtimer_asan==1", {
          "cflags_cc": ["-fsanitize=address", "-fno-omit-frame-pointer", "-g"],
          "ldflags": ["-fsanitize=address"]
        }],
        ["OS=='mac'", {
          "xcode_settings": { "CLANG_CXX_LANGUAGE_STANDARD": "c++17", "MACOSX_DEPLOYMENT_TARGET": "10.15" }
        }],
        ["OS=='win'", {
          "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/std:c++17"] } }
        }]
      ]
    }
  ]
}
