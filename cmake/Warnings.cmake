# One list of warnings, applied per target with smtpcheck_warnings(target).
set(SMTPCHECK_WARNING_FLAGS -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes
    -Wmissing-prototypes -Wvla -Wno-unused-parameter)

# smtpcheck_warnings - turn the project's warnings on (and into errors when asked).
function(smtpcheck_warnings target)
  target_compile_options(${target} PRIVATE ${SMTPCHECK_WARNING_FLAGS})
  if(SMTPCHECK_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
