# Install layout (FHS) and the Debian package.
#
#   cmake -S . -B build-pkg -DCMAKE_INSTALL_PREFIX=/usr && cmake --build build-pkg
#   cmake --install build-pkg            # or: DESTDIR=/tmp/root cmake --install ...
#   (cd build-pkg && cpack -G DEB)        # vigie_<version>_<arch>.deb
#
# With the prefix /usr: /usr/sbin/vigie, /etc/vigie/vigie.yaml,
# /lib/systemd/system/vigie.service, /etc/logrotate.d/vigie,
# /usr/share/man/man8/vigie.8.gz, /usr/share/doc/vigie/. Other prefixes put
# the configuration and the unit under the prefix.
include(GNUInstallDirs)

if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(VIGIE_UNITDIR_DEFAULT "/lib/systemd/system")
  set(VIGIE_LOGROTATEDIR_DEFAULT "/etc/logrotate.d")
else()
  set(VIGIE_UNITDIR_DEFAULT "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
  set(VIGIE_LOGROTATEDIR_DEFAULT "${CMAKE_INSTALL_FULL_SYSCONFDIR}/logrotate.d")
endif()
set(VIGIE_UNITDIR "${VIGIE_UNITDIR_DEFAULT}" CACHE PATH "systemd system unit directory")
set(VIGIE_LOGROTATEDIR "${VIGIE_LOGROTATEDIR_DEFAULT}" CACHE PATH "logrotate.d directory")

set(VIGIE_SBINDIR "${CMAKE_INSTALL_FULL_SBINDIR}")
set(VIGIE_SYSCONFDIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}")
set(VIGIE_DOCDIR "${CMAKE_INSTALL_FULL_DOCDIR}")
configure_file(config/vigie.service.in vigie.service @ONLY)

set(VERSION "${PROJECT_VERSION}")
configure_file(docs/vigie.8 vigie.8 @ONLY)
add_custom_command(OUTPUT vigie.8.gz
                   COMMAND gzip -9 -n -c vigie.8 > vigie.8.gz
                   DEPENDS ${CMAKE_CURRENT_BINARY_DIR}/vigie.8)
add_custom_target(manpage ALL DEPENDS vigie.8.gz)

install(TARGETS vigie RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(FILES config/vigie.yaml DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/vigie
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/vigie.service DESTINATION ${VIGIE_UNITDIR})
install(FILES config/vigie.logrotate DESTINATION ${VIGIE_LOGROTATEDIR} RENAME vigie)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/vigie.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES README.md docs/incidents.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY config/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "vigie")
set(CPACK_PACKAGE_VENDOR "vigie")
set(CPACK_PACKAGE_CONTACT "vigie maintainers <vigie@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "network segmentation traffic sensor")
set(CPACK_PACKAGE_DESCRIPTION
    "Follows every flow on a SPAN port or in a capture, classifies it with nDPI,\nmaps addresses to zones and reports lateral movement across them, with\nATT&CK-tagged EVE JSON alerts and incidents to Redis and files.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
# The shared libraries' packages (libpcap, libndpi, hiredis, ...) come from
# dpkg-shlibdeps; the maintainer scripts need adduser.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "redis-server, logrotate")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${CMAKE_CURRENT_SOURCE_DIR}/packaging/deb/postinst;${CMAKE_CURRENT_SOURCE_DIR}/packaging/deb/prerm;${CMAKE_CURRENT_SOURCE_DIR}/packaging/deb/postrm;${CMAKE_CURRENT_SOURCE_DIR}/packaging/deb/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_STRIP_FILES TRUE)
# Only the sensor's own files: not the test programs.
set(CPACK_INSTALL_CMAKE_PROJECTS "${CMAKE_BINARY_DIR};vigie;Unspecified;/")
include(CPack)
