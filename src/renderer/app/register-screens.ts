import { createElement } from 'react'
import { WelcomeScreen } from '../features/welcome/welcome-screen'
import { registerScreen } from './screen-registry'

// Every screen the app offers, in one place.
registerScreen('welcome', { render: () => createElement(WelcomeScreen), availability: () => ({ open: true }) })
