// One StorageV2 account for documents, translations, glossaries, queues, the state table and the deployment package.
// Shared keys are off: every client (app, Translator, Event Grid, azd) authenticates with Microsoft Entra ID.
param name string
param location string
param tags object
param containerNames array
param queueNames array
param tableNames array

@description('Days a deleted blob, container or earlier version of an output stays recoverable.')
param retentionDays int = 7

@description('Source container: its documents are deleted this many days after their last change (0: kept).')
param sourceContainerName string
param sourceBlobRetentionDays int = 0

@description('Target container: translations are deleted this many days after they were written (0: kept).')
param targetContainerName string
param targetBlobRetentionDays int = 0

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  #checkov:skip=CKV_AZURE_35:The Flex Consumption app in this template has no VNet and the Translator reads blobs over the public endpoint; add VNet integration and private endpoints to deny public traffic.
  #checkov:skip=CKV_AZURE_59:Same reason as CKV_AZURE_35: public network access stays enabled, authenticated by Microsoft Entra ID only (shared keys are off).
  #checkov:skip=CKV_AZURE_206:Locally redundant storage is the cost-conscious default; translations can be re-made from the sources. Choose Standard_ZRS or Standard_GRS for more.
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    isLocalUserEnabled: false
    isSftpEnabled: false
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: { enabled: true, keyType: 'Account' }
        file: { enabled: true, keyType: 'Account' }
        queue: { enabled: true, keyType: 'Account' }
        table: { enabled: true, keyType: 'Account' }
      }
    }
  }
}

// Versioning and soft delete are properties of the account's blob service, so they cover every container; the
// target container is the one that needs them (an output replaced by a re-upload stays recoverable).
resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    isVersioningEnabled: true
    deleteRetentionPolicy: { enabled: true, days: retentionDays }
    containerDeleteRetentionPolicy: { enabled: true, days: retentionDays }
  }
}

// Optional lifecycle rules: documents and translations expire after their own number of days (earlier versions too,
// which versioning keeps). The app's state keeps its own RETENTION_DAYS; a reused translation whose output expired is
// simply translated again.
var sourcesRule = {
  name: 'expire-sources'
  enabled: true
  type: 'Lifecycle'
  definition: {
    filters: { blobTypes: ['blockBlob'], prefixMatch: ['${sourceContainerName}/'] }
    actions: {
      baseBlob: { delete: { daysAfterModificationGreaterThan: sourceBlobRetentionDays } }
      version: { delete: { daysAfterCreationGreaterThan: sourceBlobRetentionDays } }
    }
  }
}

var translationsRule = {
  name: 'expire-translations'
  enabled: true
  type: 'Lifecycle'
  definition: {
    filters: { blobTypes: ['blockBlob'], prefixMatch: ['${targetContainerName}/'] }
    actions: {
      baseBlob: { delete: { daysAfterModificationGreaterThan: targetBlobRetentionDays } }
      version: { delete: { daysAfterCreationGreaterThan: targetBlobRetentionDays } }
    }
  }
}

var lifecycleRules = concat(sourceBlobRetentionDays > 0 ? [sourcesRule] : [], targetBlobRetentionDays > 0 ? [translationsRule] : [])

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = if (!empty(lifecycleRules)) {
  parent: account
  name: 'default'
  properties: { policy: { rules: lifecycleRules } }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for container in containerNames: {
    parent: blobService
    name: container
    properties: { publicAccess: 'None' }
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for queue in queueNames: {
    parent: queueService
    name: queue
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [
  for table in tableNames: {
    parent: tableService
    name: table
  }
]

output name string = account.name
output id string = account.id
output blobEndpoint string = account.properties.primaryEndpoints.blob
