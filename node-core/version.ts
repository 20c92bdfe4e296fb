/** The version this node reports (system_information, cluster_network): the package's. */
export const PEERDESK_VERSION = process.env.npm_package_version ?? '0.1.0';
