# Ansible connection plugin for Pipeline servers (Nitro Enclaves over vsock,
# or unix/tcp for tests), built on the pipeline_client Python package.
from __future__ import annotations

DOCUMENTATION = r"""
    name: pipeline
    short_description: run tasks in a Nitro Enclave (or any host) through a Pipeline server
    description:
        - Runs commands and moves files through a C(pipeline listen) server over its
          encrypted, mutually authenticated Noise XX channel (vsock, unix socket or TCP),
          using the C(pipeline_client) Python package on the controller.
        - Commands run through the server's shell (C(sh -c)), module input arrives as stdin
          (pipelining is supported and recommended), files travel with the protocol's
          PutFile and GetFile calls (streamed, atomic on arrival).
        - Each task opens one connection and reuses it for all of that task's commands and
          transfers. Ansible runs every task in a fresh worker process, so connections are
          not kept across tasks; a Pipeline handshake from Python costs a few milliseconds, so none is
          needed.
        - Privilege escalation (C(become)) is not supported; the server runs commands as its
          own user (inside an enclave, usually root). A task with C(become) fails with a clear
          message instead of running as the wrong user.
        - Needs C(pipeline_client) importable by the controller's Python
          (C(pip install --no-build-isolation --no-deps clients/python)).
    author: Pipeline project
    version_added: "1.1.0"
    extends_documentation_fragment:
        - connection_pipelining
    options:
      remote_addr:
        description:
            - The host name from the inventory; used as the address when it is already a
              Pipeline address (C(unix:PATH), C(tcp:HOST:PORT), C(vsock:CID:PORT)) and
              I(address) is not set.
        default: inventory_hostname
        type: string
        vars:
            - name: inventory_hostname
            - name: ansible_host
      address:
        description:
            - The server's address, C(vsock:CID:PORT), C(tcp:HOST:PORT) or C(unix:PATH).
            - Required unless the inventory host name (or C(ansible_host)) is such an address.
        type: string
        vars:
            - name: ansible_pipeline_address
      key_file:
        description:
            - This client's private key file (base64, as C(pipeline keygen) writes it),
              created with mode 0600 when missing. The server's authorized keys must list its
              public key when it has an authorized-keys file.
            - Default, the C tool's per-user key, C($XDG_CONFIG_HOME/pipeline/client.key)
              or C(~/.config/pipeline/client.key).
        type: path
        ini:
            - section: pipeline_connection
              key: key_file
        env:
            - name: ANSIBLE_PIPELINE_KEY_FILE
        vars:
            - name: ansible_pipeline_key_file
      server_key:
        description:
            - The server's public key (base64). When set it must match exactly, and the
              known-servers file is not consulted. The key is checked before this client
              reveals its own.
        type: string
        vars:
            - name: ansible_pipeline_server_key
      known_servers:
        description:
            - Known-servers file (C(ADDRESS KEY) lines, shared with the C tool). Without
              I(server_key) or attestation expectations, the first contact records the
              server's key and a later different key makes the host UNREACHABLE.
            - Default, the C tool's per-user file, C($XDG_CONFIG_HOME/pipeline/known_servers)
              or C(~/.config/pipeline/known_servers).
        type: path
        ini:
            - section: pipeline_connection
              key: known_servers
        env:
            - name: ANSIBLE_PIPELINE_KNOWN_SERVERS
        vars:
            - name: ansible_pipeline_known_servers
      timeout:
        description:
            - Seconds to wait for the connection and handshake.
        type: integer
        default: 10
        ini:
            - section: pipeline_connection
              key: timeout
            - section: defaults
              key: timeout
        env:
            - name: ANSIBLE_PIPELINE_TIMEOUT
            - name: ANSIBLE_TIMEOUT
        vars:
            - name: ansible_pipeline_timeout
            - name: ansible_timeout
      expect_pcrs:
        description:
            - Attested enclaves. PCR values the server's attestation document must carry,
              as a mapping of PCR index to 96 hex digits (SHA-384), or a list of
              C(N=HEX) strings. When set, the document is verified (signature chain to
              I(attestation_root), freshness, binding to the server's key, PCRs) before this
              client reveals its key, and no known-servers entry is needed.
        type: raw
        vars:
            - name: ansible_pipeline_expect_pcrs
      attestation_root:
        description:
            - Root certificate (PEM or DER) the attestation document must chain to.
              Default, the AWS Nitro Enclaves root.
        type: path
        ini:
            - section: pipeline_connection
              key: attestation_root
        vars:
            - name: ansible_pipeline_attestation_root
      allow_debug:
        description:
            - Accept an enclave in debug mode (PCR0..2 all zero).
        type: boolean
        default: false
        vars:
            - name: ansible_pipeline_allow_debug
      attestation_max_age:
        description:
            - Refuse attestation documents older than this many seconds (default 3 hours).
        type: integer
        vars:
            - name: ansible_pipeline_attestation_max_age
"""

EXAMPLES = r"""
# inventory.ini
# [enclaves]
# enclave-a ansible_pipeline_address=vsock:16:5000
# enclave-b ansible_pipeline_address=vsock:17:5000
# [enclaves:vars]
# ansible_connection=pipeline
# ansible_pipelining=true
# ansible_python_interpreter=/usr/bin/python3
# ansible_pipeline_key_file=~/.config/pipeline/client.key
#
# ANSIBLE_CONNECTION_PLUGINS=clients/ansible/connection_plugins ansible enclaves -m ping
"""

import os

from ansible.errors import (AnsibleConnectionFailure, AnsibleError,
                            AnsibleFileNotFound)
from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible.plugins.connection import ConnectionBase
from ansible.utils.display import Display

try:
    import pipeline_client as pc
    IMPORT_ERROR = None
except ImportError as e:  # reported when a task tries to connect
    pc = None
    IMPORT_ERROR = e

display = Display()

ADDRESS_PREFIXES = ("unix:", "tcp:", "vsock:")


class Connection(ConnectionBase):
    """Runs commands and copies files through a Pipeline server."""

    transport = "pipeline"
    has_pipelining = True
    has_tty = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._client = None

    # -- setup --------------------------------------------------------------

    def set_become_plugin(self, plugin):
        if plugin is not None:
            raise AnsibleError(
                "the pipeline connection does not support become (%s): the Pipeline "
                "server runs every command as its own user; drop become for hosts "
                "reached through pipeline" % plugin.name)
        super().set_become_plugin(plugin)

    def _address(self):
        addr = self.get_option("address")
        if addr:
            return addr
        host = self.get_option("remote_addr") or self._play_context.remote_addr
        if host and host.startswith(ADDRESS_PREFIXES):
            return host
        raise AnsibleConnectionFailure(
            "pipeline: no server address for %s: set ansible_pipeline_address "
            "(vsock:CID:PORT, tcp:HOST:PORT or unix:PATH)" % host)

    def _pcrs(self):
        raw = self.get_option("expect_pcrs")
        if not raw:
            return None
        if isinstance(raw, dict):
            return {int(k): str(v) for k, v in raw.items()}
        if isinstance(raw, str):
            raw = raw.replace(",", " ").split()
        out = {}
        for item in raw:
            idx, sep, val = str(item).partition("=")
            if not sep:
                raise AnsibleError("pipeline: expect_pcrs entry %r is not N=HEX" % item)
            out[int(idx)] = val.strip()
        return out

    def _known_servers(self):
        return self.get_option("known_servers") or pc.user_path("known_servers")

    def _connect(self):
        if self._connected and self._client is not None and self._client.connected:
            return self
        if pc is None:
            raise AnsibleError(
                "the pipeline connection needs the pipeline_client package on the "
                "controller (pip install --no-build-isolation --no-deps clients/python): "
                "%s" % IMPORT_ERROR)
        address = self._address()
        kw = dict(connect_timeout=float(self.get_option("timeout")))
        try:
            kw["expect_pcrs"] = self._pcrs()
            if kw["expect_pcrs"]:
                kw.update(attestation_root=self.get_option("attestation_root"),
                          allow_debug=bool(self.get_option("allow_debug")),
                          max_age=self.get_option("attestation_max_age"))
            server_key = self.get_option("server_key")
            if server_key:
                kw["server_key"] = server_key
            elif not kw["expect_pcrs"]:
                kw["known_servers"] = self._known_servers()
            display.vvv("PIPELINE CONNECT %s" % address, host=address)
            client = pc.Client(address, self.get_option("key_file")
                               or pc.user_path("client.key"), **kw)
            client.connect()
            # A server that does not know our key says so in its first
            # frame: learn it here, where it makes the host unreachable.
            client.ping()
        except ValueError as e:
            raise AnsibleError("pipeline: %s: %s" % (address, to_native(e)))
        except (pc.PipelineError, OSError) as e:
            raise AnsibleConnectionFailure("pipeline: %s" % to_native(e))
        if client.recorded_key:
            display.warning("pipeline: first contact with %s: recorded its key %s in %s"
                            % (address, pc.key_to_base64(client.server_key),
                               self._known_servers()))
        self._client = client
        self._connected = True
        return self

    def _live(self):
        """The connection, reopened when a previous call left it unusable."""
        if self._client is None or not self._client.connected:
            self._connected = False
            self._connect()
        return self._client

    # -- calls --------------------------------------------------------------

    def exec_command(self, cmd, in_data=None, sudoable=True):
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        client = self._live()
        display.vvv("PIPELINE EXEC %s" % to_native(cmd), host=client.address)
        try:
            r = client.exec(command=to_bytes(cmd, errors="surrogate_or_strict"),
                            stdin=to_bytes(in_data) if in_data is not None else None)
        except pc.RemoteError as e:
            raise AnsibleError("pipeline: exec on %s: %s" % (client.address, to_native(e)))
        except pc.PipelineError as e:
            raise AnsibleConnectionFailure("pipeline: exec on %s: %s"
                                           % (client.address, to_native(e)))
        stderr = r.stderr
        if r.spawn_error:
            stderr += to_bytes("\n" + r.spawn_error)
        return r.exit_code, r.stdout, stderr

    def put_file(self, in_path, out_path):
        super().put_file(in_path, out_path)
        client = self._live()
        display.vvv("PIPELINE PUT %s TO %s" % (in_path, out_path), host=client.address)
        if not os.path.exists(to_bytes(in_path, errors="surrogate_or_strict")):
            raise AnsibleFileNotFound("file or module does not exist: %s" % to_native(in_path))
        try:
            client.put_file(to_bytes(in_path, errors="surrogate_or_strict"),
                            to_bytes(out_path, errors="surrogate_or_strict"))
        except pc.RemoteError as e:
            raise AnsibleError("pipeline: put_file %s to %s: %s"
                               % (in_path, out_path, to_native(e)))
        except (pc.PipelineError, OSError) as e:
            raise AnsibleConnectionFailure("pipeline: put_file %s to %s: %s"
                                           % (in_path, out_path, to_native(e)))

    def fetch_file(self, in_path, out_path):
        super().fetch_file(in_path, out_path)
        client = self._live()
        display.vvv("PIPELINE FETCH %s TO %s" % (in_path, out_path), host=client.address)
        try:
            client.get_file(to_bytes(in_path, errors="surrogate_or_strict"),
                            to_bytes(out_path, errors="surrogate_or_strict"))
        except pc.RemoteError as e:
            raise AnsibleError("pipeline: fetch_file %s to %s: %s"
                               % (in_path, out_path, to_native(e)))
        except (pc.PipelineError, OSError) as e:
            raise AnsibleConnectionFailure("pipeline: fetch_file %s to %s: %s"
                                           % (in_path, out_path, to_native(e)))

    def reset(self):
        self.close()

    def close(self):
        if self._client is not None:
            self._client.close()
            self._client = None
        self._connected = False
