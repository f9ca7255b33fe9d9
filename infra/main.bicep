// Translation Autopilot on Azure: `azd up` provisions this, deploys function_app.py, then the post-deploy hook
// (scripts/create-event-subscription.*) wires the source container's BlobCreated events to the blob trigger.
// No keys anywhere: the app uses its user-assigned identity for storage, the Translator and Application Insights;
// the Translator reads and writes blobs with its own system-assigned identity (TRANSLATOR_STORAGE_ACCESS=managed-identity).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; also seeds the unique suffix of every resource name.')
param environmentName string

@minLength(1)
@description('Region of every resource. Flex Consumption and Document Translation must both be offered there.')
@metadata({ azd: { type: 'location' } })
param location string

@description('Target languages of every document (TARGET_LANGUAGES): comma-separated codes, at most 10.')
param targetLanguages string = 'fr,de'

@description('Source language code (SOURCE_LANGUAGE); empty lets the Translator detect it per document.')
param sourceLanguage string = ''

@description('Per-prefix language routes (LANGUAGE_ROUTES), e.g. "legal/=fr,de;hr/=es"; empty for none.')
param languageRoutes string = ''

@description('Spending cap: characters the Translator may charge per UTC day (MAX_CHARACTERS_PER_DAY); empty for no cap. Documents that do not fit wait until the next day.')
param maxCharactersPerDay string = ''

@description('Days the app keeps the state of what ended (RETENTION_DAYS): document versions, jobs, batch members, spending.')
@minValue(1)
param retentionDays int = 30

@description('Optional lifecycle rule: delete source documents this many days after their last change (0: never).')
@minValue(0)
param sourceBlobRetentionDays int = 0

@description('Optional lifecycle rule: delete translations this many days after they were written (0: never).')
@minValue(0)
param targetBlobRetentionDays int = 0

@description('E-mail address the alerts (stuck jobs, rejections, poison messages, throttling, budget) are sent to; empty: none.')
param alertEmail string = ''

@description('How often the timer polls jobs (POLL_SCHEDULE, six-field NCRONTAB, UTC).')
param pollSchedule string = '*/30 * * * * *'

@description('Container that receives the documents to translate.')
param sourceContainerName string = 'inbox'

@description('Container the translations are written to, as {language}/{name}.')
param targetContainerName string = 'translated'

@description('Container of glossaries ({target}.tsv or {source}-{target}.tsv).')
param glossaryContainerName string = 'glossaries'

@description('Queue the completion messages (CloudEvents JSON, base64) are written to.')
param completionQueueName string = 'translation-completed'

@description('Queue between the functions that record announcements and the one that publishes them.')
param outboxQueueName string = 'translation-outbox'

@description('Table holding the state of documents, batches and jobs.')
param stateTableName string = 'translationstate'

@description('Maximum instances of the Flex Consumption app.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Memory of each instance, in MB.')
@allowed([2048, 4096])
param instanceMemoryMB int = 2048

@description('Optional name overrides (empty: azd conventions with a unique suffix).')
param resourceGroupName string = ''
param storageAccountName string = ''
param functionAppName string = ''
param translatorName string = ''

var abbreviations = {
  resourceGroup: 'rg-'
  identity: 'id-'
  storage: 'st'
  logAnalytics: 'log-'
  appInsights: 'appi-'
  translator: 'trsl-'
  plan: 'plan-'
  functionApp: 'func-'
  systemTopic: 'evgt-'
}
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var appName = !empty(functionAppName) ? functionAppName : '${abbreviations.functionApp}${resourceToken}'
var deploymentContainerName = 'app-package-${take(resourceToken, 7)}'
var deadLetterContainerName = 'eventgrid-deadletter'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbreviations.resourceGroup}${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbreviations.identity}${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: !empty(storageAccountName) ? storageAccountName : '${abbreviations.storage}${resourceToken}'
    location: location
    tags: tags
    containerNames: [sourceContainerName, targetContainerName, glossaryContainerName, deploymentContainerName, deadLetterContainerName]
    queueNames: [completionQueueName, outboxQueueName]
    tableNames: [stateTableName]
    sourceContainerName: sourceContainerName
    sourceBlobRetentionDays: sourceBlobRetentionDays
    targetContainerName: targetContainerName
    targetBlobRetentionDays: targetBlobRetentionDays
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbreviations.logAnalytics}${resourceToken}'
    appInsightsName: '${abbreviations.appInsights}${resourceToken}'
    location: location
    tags: tags
  }
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    appInsightsId: monitoring.outputs.appInsightsId
    location: location
    tags: tags
    namePrefix: 'alert-${resourceToken}'
    alertEmail: alertEmail
  }
}

module workbook 'app/workbook.bicep' = {
  name: 'workbook'
  scope: rg
  params: {
    appInsightsId: monitoring.outputs.appInsightsId
    location: location
    tags: tags
    displayName: 'Translation Autopilot (${environmentName})'
  }
}

module translator 'app/translator.bicep' = {
  name: 'translator'
  scope: rg
  params: {
    name: !empty(translatorName) ? translatorName : '${abbreviations.translator}${resourceToken}'
    location: location
    tags: tags
  }
}

module functionApp 'app/function.bicep' = {
  name: 'function'
  scope: rg
  params: {
    name: appName
    planName: '${abbreviations.plan}${resourceToken}'
    location: location
    tags: union(tags, { 'azd-service-name': 'translator-app' })
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    appInsightsConnectionString: monitoring.outputs.connectionString
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    appSettings: {
      SOURCE_CONTAINER: sourceContainerName
      TARGET_CONTAINER: targetContainerName
      GLOSSARY_CONTAINER: glossaryContainerName
      TARGET_LANGUAGES: targetLanguages
      SOURCE_LANGUAGE: sourceLanguage
      LANGUAGE_ROUTES: languageRoutes
      COMPLETION_QUEUE: completionQueueName
      OUTBOX_QUEUE: outboxQueueName
      STATE_TABLE: stateTableName
      TRANSLATOR_ENDPOINT: translator.outputs.endpoint
      TRANSLATOR_REGION: '' // only sent with a key; this deployment has none (Microsoft Entra ID, custom subdomain)
      TRANSLATOR_API_VERSION: '2024-05-01'
      TRANSLATOR_STORAGE_ACCESS: 'managed-identity'
      SAS_TTL_HOURS: '24'
      POLL_SCHEDULE: pollSchedule
      MAX_JOB_HOURS: '24'
      MAX_BATCH_DOCUMENTS: '1000'
      MAX_BATCH_BYTES: '262144000'
      CLAIM_TIMEOUT_SECONDS: '300'
      REUSE_TRANSLATIONS: 'true'
      MAX_CHARACTERS_PER_DAY: maxCharactersPerDay
      RETENTION_DAYS: string(retentionDays)
    }
  }
}

module roles 'app/roles.bicep' = {
  name: 'roles'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    translatorName: translator.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    appPrincipalId: identity.outputs.principalId
    translatorPrincipalId: translator.outputs.principalId
    sourceContainerName: sourceContainerName
    targetContainerName: targetContainerName
    glossaryContainerName: glossaryContainerName
  }
}

module events 'app/eventgrid.bicep' = {
  name: 'events'
  scope: rg
  params: {
    name: '${abbreviations.systemTopic}${resourceToken}'
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
    deadLetterContainerName: deadLetterContainerName
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_ACCOUNT_ID string = storage.outputs.id
output AZURE_TRANSLATOR_ENDPOINT string = translator.outputs.endpoint
output EVENT_GRID_SYSTEM_TOPIC_NAME string = events.outputs.name
output DEAD_LETTER_CONTAINER string = deadLetterContainerName
output SOURCE_CONTAINER string = sourceContainerName
output TARGET_CONTAINER string = targetContainerName
output COMPLETION_QUEUE string = completionQueueName
