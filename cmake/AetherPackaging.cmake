# Installation (the FHS layout of a Debian package) and CPack: `cpack -G DEB` builds
# aether-console_<version>_<arch>.deb with its shared-library dependencies computed by dpkg-shlibdeps, `cpack -G TGZ`
# the same files as a tarball of usr/, etc/ and lib/. packaging/README.md explains each file and the checks CI runs.
include(GNUInstallDirs)
set(AETHER_PACKAGING ${PROJECT_SOURCE_DIR}/packaging)

install(TARGETS aether-console RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The window is started by aether-console (src/app/main.cpp looks beside itself, then in ../libexec/aether-console).
install(TARGETS aether-console-window RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/aether-console)
install(FILES ${AETHER_PACKAGING}/org.aether.Console.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES ${AETHER_PACKAGING}/org.aether.Console.metainfo.xml DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
install(DIRECTORY ${AETHER_PACKAGING}/icons/hicolor DESTINATION ${CMAKE_INSTALL_DATADIR}/icons)
install(FILES ${AETHER_PACKAGING}/grafana/aether-console.json
        DESTINATION ${CMAKE_INSTALL_DATADIR}/aether-console/grafana)
# The service: its unit where Debian 12 keeps units, its settings as a conffile.
install(FILES ${AETHER_PACKAGING}/aether-console.service DESTINATION /lib/systemd/system)
install(FILES ${AETHER_PACKAGING}/aether-console.default DESTINATION /etc/default RENAME aether-console)

# Compressed as Debian wants them (gzip -9n: no name or time stamp, so builds are reproducible).
set(AETHER_DOC_DIR ${CMAKE_INSTALL_DATADIR}/doc/aether-console)
foreach(pair "aether-console.1|aether-console.1.gz" "debian/changelog|changelog.gz")
    string(REPLACE "|" ";" parts ${pair})
    list(GET parts 0 source)
    list(GET parts 1 target)
    add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/packaging/${target}
        COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/packaging
        COMMAND gzip -9n -c ${AETHER_PACKAGING}/${source} > ${CMAKE_BINARY_DIR}/packaging/${target}
        DEPENDS ${AETHER_PACKAGING}/${source} VERBATIM)
    list(APPEND AETHER_COMPRESSED ${CMAKE_BINARY_DIR}/packaging/${target})
endforeach()
add_custom_target(aether_packaging_files ALL DEPENDS ${AETHER_COMPRESSED})
install(FILES ${CMAKE_BINARY_DIR}/packaging/aether-console.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CMAKE_BINARY_DIR}/packaging/changelog.gz ${AETHER_PACKAGING}/debian/copyright
        DESTINATION ${AETHER_DOC_DIR})

set(CPACK_PACKAGE_NAME aether-console)
set(CPACK_PACKAGE_VENDOR "Aether Console developers")
set(CPACK_PACKAGE_CONTACT "Aether Console developers <aether-console@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "administration console for adaptive concurrency of an LLM API gateway")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# The package installs under /usr whatever CMAKE_INSTALL_PREFIX the build has (/usr/local by default).
set(CPACK_INSTALL_PREFIX /usr)
# Absolute destinations (/etc/default, /lib/systemd/system) are installed under DESTDIR by every generator.
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_FILE_NAME aether-console_${PROJECT_VERSION}_${CMAKE_SYSTEM_PROCESSOR})

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # aether-console_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Plugins that dpkg-shlibdeps cannot see: the SQL drivers (SQLite, PostgreSQL), the window's platform plugin and SVG.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libqt6sql6-sqlite, libqt6sql6-psql, qt6-qpa-plugins, libqt6svg6")
# Chinese in the window: its glyphs, and Qt's own texts in the user's language (the buttons of message boxes, file
# dialogs, the command line's --help and --version lines).
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "fonts-noto-cjk, qt6-translations-l10n")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql, prometheus")
# The synopsis is CPACK_PACKAGE_DESCRIPTION_SUMMARY; CPack indents these lines and turns the empty one into " .".
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Aether Console shows every provider API key of an LLM API gateway with its
adaptive or fixed concurrency limit, lets operators switch modes, set limits
and reset what was learned, and explains with charts of 429 responses and the
adjustment history why a limit moved. The window speaks Chinese and English.

The same core serves the gateway's admin HTTP API (aether-console --serve,
with a hardened systemd unit), Prometheus metrics, an OpenAPI description and
commands for scripts. Data lives in an embedded SQLite file or in PostgreSQL,
including a gateway's own database.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${AETHER_PACKAGING}/debian/conffiles ${AETHER_PACKAGING}/debian/postinst ${AETHER_PACKAGING}/debian/prerm
    ${AETHER_PACKAGING}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_GENERATOR "DEB;TGZ")
include(CPack)
