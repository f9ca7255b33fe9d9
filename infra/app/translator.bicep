// Azure AI Translator (S1: Document Translation is refused on F0), with the custom subdomain Microsoft Entra ID
// needs, a system-assigned identity to read sources and write translations, and key auth disabled.
param name string
param location string
param tags object

@allowed(['S1', 'C2', 'C3', 'C4', 'D3'])
param sku string = 'S1'

resource translator 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  #checkov:skip=CKV_AZURE_134:Public network access stays enabled: the app (no VNet in this template) calls the endpoint over the internet, authenticated by Microsoft Entra ID only.
  name: name
  location: location
  tags: tags
  kind: 'TextTranslation'
  sku: { name: sku }
  identity: { type: 'SystemAssigned' }
  properties: {
    customSubDomainName: name
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow' }
  }
}

output name string = translator.name
output endpoint string = 'https://${name}.cognitiveservices.azure.com'
output principalId string = translator.identity.principalId
