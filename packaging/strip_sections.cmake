# CPACK_PRE_BUILD_SCRIPTS: CPack strips with plain `strip`, which keeps the
# .comment and .note sections; remove them as Debian's dh_strip does.
file(GLOB_RECURSE binaries "${CPACK_TEMPORARY_DIRECTORY}/*/bin/memstats"
     "${CPACK_TEMPORARY_DIRECTORY}/*/memstats/memstats-http.so")
foreach(binary ${binaries})
  execute_process(
    COMMAND strip --remove-section=.comment --remove-section=.note ${binary}
    COMMAND_ERROR_IS_FATAL ANY)
endforeach()
