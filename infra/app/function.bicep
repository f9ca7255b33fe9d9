// The Flex Consumption plan and the Python function app. Every connection is identity-based (the user-assigned
// identity); the deployment package lives in a blob container the same identity reads.
param name string
param planName string
param location string
param tags object
param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainerName string
param appInsightsConnectionString string
param maximumInstanceCount int
param instanceMemoryMB int

@description('The settings the app code reads (shared/settings.py), besides the connections set here.')
param appSettings object

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  #checkov:skip=CKV_AZURE_225:Zone redundancy on Flex Consumption is offered in some regions only and bills always-ready instances; set zoneRedundant where it is offered.
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

var endpoints = storage.properties.primaryEndpoints
var connectionSettings = {
  // the host's own storage (blob trigger receipts and queues, timer locks)
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: endpoints.blob
  AzureWebJobsStorage__queueServiceUri: endpoints.queue
  AzureWebJobsStorage__tableServiceUri: endpoints.table
  // the documents, queues and state table the app works on (connection "DocumentStorage")
  DocumentStorage__credential: 'managedidentity'
  DocumentStorage__clientId: identityClientId
  DocumentStorage__blobServiceUri: endpoints.blob
  DocumentStorage__queueServiceUri: endpoints.queue
  DocumentStorage__tableServiceUri: endpoints.table
  // telemetry over OpenTelemetry (host.json telemetryMode), authenticated with the identity: local auth is off
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY: 'true'
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  #checkov:skip=CKV_AZURE_17:Client certificates would lock out Event Grid's webhook delivery; HTTP functions require function keys.
  #checkov:skip=CKV_AZURE_222:Public access is needed for the Event Grid webhook without a VNet; add VNet integration and a private endpoint to close it.
  #checkov:skip=CKV_AZURE_212:Flex Consumption scales from zero on demand; always-ready instances (functionAppConfig.scaleAndConcurrency.alwaysReady) cost money even when idle.
  #checkov:skip=CKV_AZURE_213:Flex Consumption has no App Service health check; the host restarts unhealthy workers itself, and stuck work is found by the KQL queries in docs/operations.md.
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${endpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }

  resource settings 'config' = {
    name: 'appsettings'
    properties: union(connectionSettings, appSettings)
  }

  resource ftp 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: { allow: false }
  }

  resource scm 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: { allow: false }
  }
}

output name string = app.name
output defaultHostName string = app.properties.defaultHostName
