import { describe, expect, it } from 'vitest'
import { foldPath, isInsideUserFolders, outsidePathDetail, parseOutsidePathDetail, type UserFolderFacts } from '../../src/shared/user-folders'

const linux: UserFolderFacts = {
  platform: 'posix',
  home: '/home/me',
  localtuneHome: '/srv/localtune-home',
  huggingFaceFolders: ['/data/hf/hub', '/data/hf'],
  tempDir: '/tmp'
}

const windows: UserFolderFacts = {
  platform: 'win32',
  home: 'C:\\Users\\me',
  localtuneHome: 'C:\\Users\\me\\AppData\\Roaming\\LocalTune',
  huggingFaceFolders: ['C:\\Users\\me\\.cache\\huggingface\\hub'],
  tempDir: 'C:\\Users\\me\\AppData\\Local\\Temp',
  systemDrive: 'C:'
}

describe("the user's folders", () => {
  it.each(['/home/me', '/home/me/models/qwen', '/srv/localtune-home/exports/x', '/data/hf/hub/models--a--b', '/data/hf/token', '/tmp/lt-home-1/run', '/media/me/USB/model', '/mnt/disk', '/run/media/me/stick', '/Volumes/USB'])('%s is inside', (inside) => {
    expect(isInsideUserFolders(inside, linux)).toBe(true)
  })

  it.each(['/etc', '/etc/x', '/usr/lib/python3', '/', '/home/other', '/home/meme', '/var/tmp/x', '/home/me/../../etc', '/tmp/../etc/passwd', '/home/me/./../me2'])('%s is outside', (outside) => {
    expect(isInsideUserFolders(outside, linux)).toBe(false)
  })

  it('folds `..` before deciding, so a path that climbs back in stays inside', () => {
    expect(foldPath('/home/me/../../etc//x/.', 'posix')).toBe('/etc/x')
    expect(isInsideUserFolders('/etc/../home/me/models', linux)).toBe(true)
  })

  it('on Windows: other drives are the user\'s, the system drive only in the named folders, in any case and slash', () => {
    expect(isInsideUserFolders('D:\\models\\qwen', windows)).toBe(true)
    expect(isInsideUserFolders('c:/users/ME/models', windows)).toBe(true)
    expect(isInsideUserFolders('C:\\Windows\\System32', windows)).toBe(false)
    expect(isInsideUserFolders('C:\\Program Files\\x', windows)).toBe(false)
    expect(isInsideUserFolders('C:\\Users\\me\\..\\..\\Windows', windows)).toBe(false)
  })

  it('names a refused path in an error detail the page can read back', () => {
    const outside = { field: 'options.outDir', use: 'write into', path: '/etc/a: b' } as const
    expect(parseOutsidePathDetail(outsidePathDetail(outside))).toEqual(outside)
    expect(parseOutsidePathDetail('path: not a refusal')).toBeNull()
  })

  it('carries what the path is for, and a path with brackets and colons survives whole', () => {
    const csv = { field: 'path', use: 'read from', path: '/srv/data (old): 2024/notes.csv', what: 'the CSV file' } as const
    expect(outsidePathDetail(csv)).toBe('path (the CSV file): read from /srv/data (old): 2024/notes.csv')
    expect(parseOutsidePathDetail(outsidePathDetail(csv))).toEqual(csv)
  })

  it('a read-only folder (the install folder) may be read from without asking, never written into', () => {
    const installed = { ...linux, readOnlyFolders: ['/opt/LocalTune/resources/app'] }
    expect(isInsideUserFolders('/opt/LocalTune/resources/app/resources/demo/sample-chat.csv', installed, 'read from')).toBe(true)
    expect(isInsideUserFolders('/opt/LocalTune/resources/app/out', installed, 'write into')).toBe(false)
    expect(isInsideUserFolders('/opt/LocalTune/resources/app/out', installed)).toBe(false)
    expect(isInsideUserFolders('/opt/LocalTune/resources/app/../../../../etc/passwd', installed, 'read from')).toBe(false)
    expect(isInsideUserFolders('/opt/LocalTune/resources/application', installed, 'read from')).toBe(false)
  })

  it('an install folder inside a user folder (a checkout in the home, a copy in /tmp) still asks before a write, except into LOCALTUNE_HOME there', () => {
    const checkout = { ...linux, localtuneHome: '/home/me/src/localtune/.home', readOnlyFolders: ['/home/me/src/localtune'] }
    expect(isInsideUserFolders('/home/me/src/localtune/resources/demo/sample-chat.csv', checkout, 'read from')).toBe(true)
    expect(isInsideUserFolders('/home/me/src/localtune/resources/written', checkout, 'write into')).toBe(false)
    expect(isInsideUserFolders('/home/me/src/localtune/.home/runs', checkout, 'write into')).toBe(true)
    expect(isInsideUserFolders('/home/me/src/other/out', checkout, 'write into')).toBe(true)
    const inTmp = { ...linux, readOnlyFolders: ['/tmp/lt-ci'] }
    expect(isInsideUserFolders('/tmp/lt-ci/resources/written', inTmp, 'write into')).toBe(false)
    expect(isInsideUserFolders('/tmp/elsewhere/out', inTmp, 'write into')).toBe(true)
  })
})
